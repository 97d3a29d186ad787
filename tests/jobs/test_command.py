"""``kehu jobs run NAME``, ``kehu jobs list``, the worker's refusal in immediate mode,
and the admin's read-only list of runs."""

from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from kehu.customers import ownership
from kehu.followups.models import Notification
from kehu.jobs.models import JobRun, JobStatus
from kehu.jobs.runs import this_host


def kehu_jobs(*args: str) -> str:
    out = io.StringIO()
    call_command("jobs", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_jobs_run_reminders_sends_the_due_reminders_now_and_records_the_run(due_tasks, mailoutbox):
    out = kehu_jobs("run", "reminders")
    assert out.startswith("reminders: ok")
    assert '"emailed": 12' in out
    assert len(mailoutbox) == 12
    assert Notification.objects.count() == 12
    run = JobRun.objects.get()
    assert run.result == {"created": 12, "emailed": 12, "failed": 0}
    # Run again: nothing new to send.
    assert '"emailed": 0' in kehu_jobs("run", "reminders")
    assert len(mailoutbox) == 12


@pytest.mark.django_db
def test_jobs_run_of_a_job_running_elsewhere_says_so_and_does_nothing(due_tasks, mailoutbox):
    JobRun.objects.create(
        name="reminders", started_at=timezone.now(), host=this_host(), pid=os.getpid()
    )
    assert "running elsewhere" in kehu_jobs("run", "reminders")
    assert not mailoutbox


@pytest.mark.django_db
def test_jobs_run_of_a_failing_job_fails_and_records_the_error(monkeypatch):
    def broken() -> None:
        raise RuntimeError("公海规则读取失败")

    monkeypatch.setattr(ownership, "pool_reclaim", broken)
    with pytest.raises(CommandError, match="pool_reclaim failed"):
        kehu_jobs("run", "pool_reclaim")
    run = JobRun.objects.get()
    assert run.status == JobStatus.ERROR and "公海规则读取失败" in run.error


@pytest.mark.django_db
def test_jobs_run_refuses_an_unknown_job():
    listed = (
        "messages_send, reminders, complaints_escalate, exports_expire, survey_deliveries, "
        "loyalty_nightly, pool_reclaim"
    )
    with pytest.raises(CommandError, match=f"no job 'nope'; jobs: {listed}"):
        kehu_jobs("run", "nope")


@pytest.mark.django_db
def test_jobs_run_every_job_on_an_empty_database():
    for name in ("reminders", "pool_reclaim", "dedupe_scan", "jobruns_prune"):
        assert kehu_jobs("run", name).startswith(f"{name}: ok")
    assert JobRun.objects.filter(status=JobStatus.OK).count() == 4


@pytest.mark.django_db
def test_prune_forgets_runs_older_than_the_keep_days(settings):
    settings.KEHU_JOBS_KEEP_DAYS = 30
    now = timezone.now()
    for days in (31, 29):
        JobRun.objects.create(
            name="reminders", status=JobStatus.OK, started_at=now - dt.timedelta(days=days)
        )
    assert '"deleted": 1' in kehu_jobs("run", "jobruns_prune")
    assert JobRun.objects.count() == 2  # the 29-day-old one and the prune run itself


@pytest.mark.django_db
def test_jobs_list_shows_the_schedule_and_the_latest_runs(due_tasks):
    kehu_jobs("run", "reminders")
    out = kehu_jobs("list")
    assert "reminders" in out and "每分钟" in out
    assert "pool_reclaim" in out and "每天 02:00（Asia/Shanghai）" in out
    assert '"emailed": 12' in out


def test_the_worker_does_not_start_when_jobs_run_inline():
    with pytest.raises(CommandError, match="KEHU_JOBS_IMMEDIATE=false"):
        kehu_jobs()


@pytest.mark.django_db
def test_admins_see_the_runs_read_only_and_others_do_not(client, org):
    run = JobRun.objects.create(
        name="reminders",
        status=JobStatus.ERROR,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        error="Traceback ...\nSMTPServerDisconnected: 连接中断",
    )
    client.force_login(org.admin)
    page = client.get("/django-admin/jobs/jobrun/")
    assert page.status_code == 200
    assert "SMTPServerDisconnected: 连接中断" in page.content.decode()
    assert client.get(f"/django-admin/jobs/jobrun/{run.pk}/change/").status_code == 200
    assert client.get("/django-admin/jobs/jobrun/add/").status_code == 403
    assert client.post(f"/django-admin/jobs/jobrun/{run.pk}/delete/").status_code == 403

    client.force_login(org.manager)
    assert client.get("/django-admin/jobs/jobrun/").status_code == 302  # to the login
