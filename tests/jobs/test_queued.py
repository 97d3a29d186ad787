"""Runs someone asks for and watches (``run_request`` / ``run_claimed``): queued once per
name however often asked, taken once however often delivered, progress written as it
goes, the end recorded like any run; lost ones do not block the next."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from kehu.jobs.models import JobRun, JobStatus
from kehu.jobs.runs import Progress, run_claimed, run_request, this_host

pytestmark = pytest.mark.django_db


def _dead_pid() -> int:
    code = "import os; print(os.getpid())"
    child = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return int(child.stdout)


def test_asking_twice_queues_once_and_hands_the_id_over_after_commit(
    django_capture_on_commit_callbacks,
):
    asked: list[int] = []
    with django_capture_on_commit_callbacks(execute=True):
        first, created = run_request("export", enqueue=asked.append)
        again, created_again = run_request("export", enqueue=asked.append)
    assert created and not created_again and again.pk == first.pk
    assert asked == [first.pk]
    assert first.status == JobStatus.QUEUED
    with pytest.raises(IntegrityError), transaction.atomic():  # the lock, in the database
        JobRun.objects.create(name="export", status=JobStatus.RUNNING, started_at=timezone.now())


def test_a_claimed_run_writes_its_progress_and_its_end():
    run, _created = run_request("export", enqueue=lambda run_id: None)
    seen: list[tuple[int, int | None, str]] = []

    def work(progress: Progress) -> dict[str, int]:
        progress.start(10)
        progress.advance(4)
        row = JobRun.objects.get(pk=run.pk)
        seen.append((row.progress_done, row.progress_total, row.status))
        progress.advance(6)
        return {"rows": 10}

    finished = run_claimed(run.pk, work)
    assert seen == [(4, 10, JobStatus.RUNNING)]
    assert finished is not None
    row = JobRun.objects.get(pk=run.pk)
    assert (row.status, row.result, row.progress_done) == (JobStatus.OK, {"rows": 10}, 10)
    assert (row.host, row.pid) == (this_host(), os.getpid())
    assert run_claimed(run.pk, work) is None  # delivered again: nothing runs
    assert len(seen) == 1


def test_a_failed_claimed_run_is_recorded_and_the_error_goes_on():
    run, _created = run_request("export", enqueue=lambda run_id: None)

    def broken(progress: Progress) -> None:
        raise ValueError("磁盘已满")

    with pytest.raises(ValueError, match="磁盘已满"):
        run_claimed(run.pk, broken)
    row = JobRun.objects.get(pk=run.pk)
    assert row.status == JobStatus.ERROR and "磁盘已满" in row.error
    again, created = run_request("export", enqueue=lambda run_id: None)
    assert created and again.pk != run.pk


def test_a_run_whose_worker_is_gone_does_not_block_the_next():
    gone = JobRun.objects.create(
        name="export",
        status=JobStatus.RUNNING,
        started_at=timezone.now(),
        host=this_host(),
        pid=_dead_pid(),
    )
    run, created = run_request("export", enqueue=lambda run_id: None)
    assert created and run.pk != gone.pk
    gone.refresh_from_db()
    assert gone.status == JobStatus.INTERRUPTED and "gone" in gone.error


def test_a_run_still_queued_after_the_lease_is_given_up():
    old = timezone.now() - dt.timedelta(hours=2)
    lost = JobRun.objects.create(name="export", status=JobStatus.QUEUED, started_at=old)
    run, created = run_request("export", enqueue=lambda run_id: None, lease=dt.timedelta(hours=1))
    assert created and run.pk != lost.pk
    assert JobRun.objects.get(pk=lost.pk).status == JobStatus.INTERRUPTED
