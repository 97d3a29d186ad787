"""Each job run is recorded (start committed before the work; end, result or error
after), and a job never runs twice at the same time."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from dataclasses import dataclass

import pytest
from django.db import connection
from django.utils import timezone

from kehu.jobs.models import JobRun, JobStatus
from kehu.jobs.runs import recorded, run_recorded, runs_interrupted_mark, this_host


@dataclass
class Report:
    done: int
    names: list[str]


def _running(name: str = "demo", **fields: object) -> JobRun:
    values: dict[str, object] = {
        "started_at": timezone.now(),
        "host": this_host(),
        "pid": os.getpid(),
        **fields,
    }
    return JobRun.objects.create(name=name, status=JobStatus.RUNNING, **values)


def _dead_pid() -> int:
    code = "import os; print(os.getpid())"
    child = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return int(child.stdout)


@pytest.mark.django_db
def test_a_successful_run_is_recorded_with_its_result():
    run = run_recorded("demo", lambda: Report(done=3, names=["张三"]))
    assert run is not None
    stored = JobRun.objects.get()
    assert stored.status == JobStatus.OK
    assert stored.result == {"done": 3, "names": ["张三"]}
    assert stored.started_at <= stored.finished_at
    assert (stored.host, stored.pid) == (this_host(), os.getpid())
    assert stored.error == ""


@pytest.mark.django_db
def test_a_failed_run_is_recorded_with_its_traceback_and_the_error_goes_on():
    def broken() -> None:
        raise ValueError("邮件服务器拒绝")

    with pytest.raises(ValueError, match="邮件服务器拒绝"):
        run_recorded("demo", broken)
    stored = JobRun.objects.get()
    assert stored.status == JobStatus.ERROR
    assert stored.finished_at is not None
    assert "Traceback" in stored.error and "ValueError: 邮件服务器拒绝" in stored.error
    assert stored.result is None


@pytest.mark.django_db
@pytest.mark.parametrize("interruption", [KeyboardInterrupt, SystemExit])
def test_an_interrupted_run_is_recorded_as_interrupted_and_the_interruption_goes_on(
    interruption,
):
    def stopped() -> None:
        raise interruption()

    with pytest.raises(interruption):
        run_recorded("demo", stopped)
    assert JobRun.objects.get().status == JobStatus.INTERRUPTED
    # ... and it does not hold the lock: the next run goes ahead.
    assert run_recorded("demo", lambda: 1) is not None


@pytest.mark.django_db(transaction=True)
def test_the_running_row_is_committed_before_the_work_starts():
    seen = {}

    def work() -> None:
        seen["in_transaction"] = connection.in_atomic_block
        seen["running"] = list(JobRun.objects.values_list("name", "status"))

    run_recorded("demo", work)
    assert seen == {"in_transaction": False, "running": [("demo", JobStatus.RUNNING)]}


@pytest.mark.django_db
def test_the_decorator_records_each_call():
    @recorded("export")
    def export(n: int) -> dict[str, int]:
        return {"rows": n}

    assert export(5).result == {"rows": 5}
    assert export(7).result == {"rows": 7}
    assert list(JobRun.objects.values_list("name", "status")) == [("export", "ok")] * 2


# --- the lock --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_second_run_while_one_is_running_is_skipped():
    calls = []

    def work() -> str:
        calls.append("outer")
        inner = run_recorded("demo", lambda: calls.append("inner"))
        return "inner skipped" if inner is None else "inner ran"

    run = run_recorded("demo", work)
    assert run is not None and run.result == "inner skipped"
    assert calls == ["outer"]
    assert JobRun.objects.count() == 1
    # Another job is not held up by it.
    assert run_recorded("other", lambda: None) is not None


@pytest.mark.django_db
def test_a_run_held_by_a_live_worker_elsewhere_blocks_until_its_lease_runs_out():
    holder = _running(host="worker-2.example", pid=4242)
    called = []
    assert run_recorded("demo", lambda: called.append(1), lease=dt.timedelta(minutes=5)) is None
    assert called == []
    JobRun.objects.filter(pk=holder.pk).update(started_at=timezone.now() - dt.timedelta(minutes=6))
    assert run_recorded("demo", lambda: called.append(1), lease=dt.timedelta(minutes=5))
    assert called == [1]
    holder.refresh_from_db()
    assert holder.status == JobStatus.INTERRUPTED and "lease" in holder.error


@pytest.mark.django_db
def test_a_run_whose_process_on_this_machine_is_gone_does_not_wait_for_the_lease():
    holder = _running(pid=_dead_pid())
    assert run_recorded("demo", lambda: "after the crash", lease=dt.timedelta(hours=3))
    holder.refresh_from_db()
    assert holder.status == JobStatus.INTERRUPTED
    assert JobRun.objects.filter(status=JobStatus.OK).get().result == "after the crash"


@pytest.mark.django_db
def test_a_worker_starting_marks_what_this_machine_left_running():
    mine_before = _running("reminders")  # our pid: a previous life of this process
    dead = _running("pool_reclaim", pid=_dead_pid())
    alive = _running("dedupe_scan", pid=os.getppid())  # another live process here
    elsewhere = _running("jobruns_prune", host="worker-2.example", pid=1)
    assert runs_interrupted_mark() == 2
    status = dict(JobRun.objects.values_list("pk", "status"))
    assert status[mine_before.pk] == status[dead.pk] == JobStatus.INTERRUPTED
    assert status[alive.pk] == status[elsewhere.pk] == JobStatus.RUNNING


@pytest.mark.django_db
def test_a_slow_run_taken_for_dead_still_records_how_it_ended():
    def slow() -> str:
        # Meanwhile another worker decided this run's lease had run out.
        JobRun.objects.filter(status=JobStatus.RUNNING).update(status=JobStatus.INTERRUPTED)
        return "finished after all"

    run_recorded("demo", slow)
    stored = JobRun.objects.get()
    assert (stored.status, stored.result) == (JobStatus.OK, "finished after all")
