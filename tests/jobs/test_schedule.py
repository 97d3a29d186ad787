"""The schedule: reminders every minute, the pool's reclaim rules daily at 02:00, the
duplicate scan at 03:00 and pruning at 04:00 (business time zone), each slot served
once — and caught up when the worker missed it."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from kehu.followups import tasks as followup_tasks
from kehu.jobs.models import JobRun, JobStatus
from kehu.jobs.schedule import CHECK_MINUTES, DailyAt, Every, Job, job_run_due, jobs_load

JOBS = jobs_load()  # every app's tasks module, as the worker loads them

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _utc(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    """What Huey's scheduler passes to a periodic task's test: naive UTC."""
    return dt.datetime(year, month, day, hour, minute)


def test_every_periodic_job_is_registered_with_its_schedule():
    assert followup_tasks.reminders is JOBS["reminders"].func
    schedules = {name: job.schedule for name, job in JOBS.items()}
    assert schedules == {
        "reminders": Every(1),
        "pool_reclaim": DailyAt(2, 0),
        "pipeline_stale": DailyAt(2, 30),
        "dedupe_scan": DailyAt(3, 0),
        "jobruns_prune": DailyAt(4, 0),
        "messages_send": Every(1),
        "complaints_escalate": Every(5),
        "survey_deliveries": Every(10),
        "survey_order_triggers": DailyAt(9, 0),
        "care_agenda": DailyAt(6, 0),
        "lifecycle_daily": DailyAt(5, 0),
        "lifecycle_analytics": DailyAt(3, 30),
        "value_score": DailyAt(4, 0),
        "exports_expire": Every(10),
        "lead_reclaim": DailyAt(2, 15),
        "channel_summaries": DailyAt(4, 30),
        "segments_nightly": DailyAt(5, 30),
        "loyalty_nightly": DailyAt(1, 30),
        "retention_nightly": DailyAt(5, 45),
    }
    registered = set(HUEY._registry._registry)
    assert {f"{job.func.__module__}.{name}" for name, job in JOBS.items()} <= registered


def test_huey_enqueues_reminders_every_minute_and_daily_jobs_at_their_slot_and_checks():
    def enqueued(moment: dt.datetime) -> set[str]:
        return {task.name for task in HUEY.read_periodic(moment)}

    # 02:00 in Shanghai is 18:00 UTC.
    assert enqueued(_utc(2026, 3, 1, 18, 0)) == set(JOBS)
    every_minute = {"reminders", "messages_send"}
    assert enqueued(_utc(2026, 3, 1, 18, 1)) == every_minute
    assert enqueued(_utc(2026, 3, 1, 18, 7)) == every_minute
    assert enqueued(_utc(2026, 3, 1, 18, 5)) == every_minute | {"complaints_escalate"}
    assert CHECK_MINUTES == 10 and enqueued(_utc(2026, 3, 1, 9, 10)) == set(JOBS)


def test_a_daily_slot_off_the_check_grid_fires_at_its_local_time():
    at_0205 = DailyAt(2, 5)
    assert at_0205.fires(_utc(2026, 3, 1, 18, 5))  # 02:05 Shanghai
    assert not at_0205.fires(_utc(2026, 3, 1, 2, 5))  # 02:05 UTC is 10:05 in Shanghai
    assert not at_0205.fires(_utc(2026, 3, 1, 18, 6))


def test_the_latest_daily_slot_is_in_the_business_time_zone():
    slot = DailyAt(2, 0)
    before = dt.datetime(2026, 3, 2, 1, 59, tzinfo=SHANGHAI)
    at = dt.datetime(2026, 3, 2, 2, 0, tzinfo=SHANGHAI)
    evening = dt.datetime(2026, 3, 2, 23, 30, tzinfo=SHANGHAI)
    assert slot.latest(before) == dt.datetime(2026, 3, 1, 2, 0, tzinfo=SHANGHAI)
    assert slot.latest(at) == at
    assert slot.latest(evening) == at
    assert slot.latest(evening.astimezone(dt.UTC)) == at  # same instant, any zone
    assert Every(1).latest(evening) == evening.replace(second=0)


def test_the_business_time_zone_setting_moves_the_slot(settings):
    settings.TIME_ZONE = "UTC"
    now = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    assert DailyAt(2, 0).latest(now) == dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)
    assert DailyAt(2, 0).fires(_utc(2026, 3, 2, 2, 0))


# --- once per slot, caught up when missed -----------------------------------------------


@pytest.fixture
def nightly(monkeypatch):
    """A daily job at 02:00 whose work can be told to fail."""
    calls: list[str] = []
    state = {"fail": False}

    def work() -> dict[str, int]:
        calls.append("run")
        if state["fail"]:
            raise RuntimeError("数据库暂时不可用")
        return {"n": len(calls)}

    job = Job("nightly", work, DailyAt(2, 0), lease=dt.timedelta(hours=1), attempts=3)
    monkeypatch.setitem(JOBS, "nightly", job)
    return calls, state


def _slot_today() -> dt.datetime:
    return DailyAt(2, 0).latest(timezone.now())


@pytest.mark.django_db
def test_a_missed_slot_runs_at_the_next_check_and_then_not_again(nightly):
    calls, _state = nightly
    # The worker was off at 02:00 (the shop's PC sleeps at night): no run since the slot.
    JobRun.objects.create(
        name="nightly",
        status=JobStatus.OK,
        started_at=_slot_today() - dt.timedelta(hours=2),
        finished_at=_slot_today() - dt.timedelta(hours=2),
    )
    assert job_run_due("nightly") is not None
    assert job_run_due("nightly") is None  # the slot is served
    assert calls == ["run"]


@pytest.mark.django_db
def test_a_run_killed_half_way_is_run_again_at_the_next_check(nightly):
    calls, _state = nightly
    JobRun.objects.create(
        name="nightly",
        status=JobStatus.INTERRUPTED,
        started_at=_slot_today() + dt.timedelta(seconds=1),
    )
    assert job_run_due("nightly") is not None
    assert calls == ["run"]


@pytest.mark.django_db
def test_a_failing_job_is_tried_a_few_times_per_slot_not_every_check(nightly):
    calls, state = nightly
    state["fail"] = True
    for _ in range(3):
        with pytest.raises(RuntimeError):
            job_run_due("nightly")
    assert job_run_due("nightly") is None
    assert len(calls) == 3
    assert JobRun.objects.filter(status=JobStatus.ERROR).count() == 3


@pytest.mark.django_db
def test_a_slot_served_while_waiting_for_the_lock_is_not_run_again(nightly, monkeypatch):
    """Two workers enqueue the same slot; the second checks again once it holds the lock."""
    calls, _state = nightly
    from kehu.jobs import schedule

    checks = iter([False, True])  # due before the lock; served (by the other) after
    monkeypatch.setattr(schedule, "slot_served", lambda job, slot: next(checks))
    assert job_run_due("nightly") is None
    assert calls == []
    assert not JobRun.objects.exists()  # nothing recorded for a run that did not happen


@pytest.mark.django_db
def test_reminders_run_once_per_minute_however_many_workers_enqueue_them(due_tasks, mailoutbox):
    if timezone.now().second >= 58:
        time.sleep(3)  # stay inside one minute
    minute = timezone.now().replace(second=0, microsecond=0)
    first = job_run_due("reminders", now=minute + dt.timedelta(seconds=59))
    assert first is not None and first.result == {"created": 12, "emailed": 12, "failed": 0}
    # A second worker's enqueue of the same minute does nothing ...
    assert job_run_due("reminders", now=minute + dt.timedelta(seconds=59)) is None
    # ... the next minute runs again (and finds nothing left to send).
    again = job_run_due("reminders", now=minute + dt.timedelta(minutes=1))
    assert again is not None and again.result == {"created": 0, "emailed": 0, "failed": 0}
    assert len(mailoutbox) == 12


def test_the_next_slot_after_a_moment():
    """What a page says: "the daily job next runs at …" (local time of the business)."""
    daily = DailyAt(5, 0)
    before = dt.datetime(2026, 3, 1, 4, 59, tzinfo=SHANGHAI)
    at = dt.datetime(2026, 3, 1, 5, 0, tzinfo=SHANGHAI)
    assert daily.next_after(before) == dt.datetime(2026, 3, 1, 5, 0, tzinfo=SHANGHAI)
    assert daily.next_after(at) == dt.datetime(2026, 3, 2, 5, 0, tzinfo=SHANGHAI)
    assert daily.next_after(dt.datetime(2026, 2, 28, 23, 0, tzinfo=dt.UTC)) == dt.datetime(
        2026, 3, 2, 5, 0, tzinfo=SHANGHAI
    )  # 07:00 on 1 March in Shanghai
    assert Every(5).next_after(dt.datetime(2026, 3, 1, 4, 7, 30, tzinfo=dt.UTC)) == dt.datetime(
        2026, 3, 1, 4, 10, tzinfo=dt.UTC
    )


def test_the_jobs_are_listed_in_the_order_of_their_schedules():
    assert list(jobs_load()) == [
        "messages_send",
        "reminders",
        "complaints_escalate",
        "exports_expire",
        "survey_deliveries",
        "loyalty_nightly",
        "pool_reclaim",
        "lead_reclaim",
        "pipeline_stale",
        "dedupe_scan",
        "lifecycle_analytics",
        "jobruns_prune",
        "value_score",
        "channel_summaries",
        "lifecycle_daily",
        "segments_nightly",
        "retention_nightly",
        "care_agenda",
        "survey_order_triggers",
    ]
