"""The schedule: which job runs when, and each slot served once however many workers ask.

A periodic job has slots: every minute, or daily at a time of day in the business's
time zone (``KEHU_TIME_ZONE``, Asia/Shanghai by default). Huey's scheduler (in every
``kehu jobs`` with periodic tasks on) enqueues the job at its slot and, for daily jobs,
every ``CHECK_MINUTES`` after; a run goes ahead only while its latest slot is unserved,
that is without a successful run since the slot (and fewer than ``attempts`` failed
ones). So:

* a worker that was down at 02:00 (the shop's PC was off) runs the job when it starts;
* a run killed half-way is run again at the next check;
* several workers enqueuing the same slot run it once; never two at the same time
  (the ``JobRun`` lock, see ``runs.py``).

Apps add jobs in their own ``tasks.py`` with ``@periodic_job(...)``; ``kehu jobs``
(and Huey's ``run_huey``) import every app's ``tasks`` module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kehu.jobs.models import JobRun, JobStatus
from kehu.jobs.runs import run_recorded

CHECK_MINUTES = 10
_UTC = dt.UTC


@dataclass(frozen=True)
class Every:
    """Every ``minutes`` minutes (a divisor of 60), on the minute."""

    minutes: int = 1

    def latest(self, now: dt.datetime) -> dt.datetime:
        floor = now.astimezone(_UTC).replace(second=0, microsecond=0)
        return floor - dt.timedelta(minutes=floor.minute % self.minutes)

    def fires(self, moment: dt.datetime) -> bool:
        """Huey's test: ``moment`` is naive UTC (``HUEY["utc"]``)."""
        return bool(crontab(minute=f"*/{self.minutes}")(moment))

    def next_after(self, now: dt.datetime) -> dt.datetime:
        """The first slot after ``now``."""
        return self.latest(now) + dt.timedelta(minutes=self.minutes)

    def describe(self) -> str:
        if self.minutes == 1:
            return _("每分钟")
        return _("每 %(n)d 分钟") % {"n": self.minutes}


@dataclass(frozen=True)
class DailyAt:
    """Daily at ``hour:minute`` local time; checked again every ``CHECK_MINUTES``."""

    hour: int
    minute: int = 0

    def latest(self, now: dt.datetime) -> dt.datetime:
        zone = timezone.get_default_timezone()
        local = now.astimezone(zone)
        at = dt.time(self.hour, self.minute)
        slot = dt.datetime.combine(local.date(), at, tzinfo=zone)
        if slot > local:
            slot = dt.datetime.combine(local.date() - dt.timedelta(days=1), at, tzinfo=zone)
        return slot

    def next_after(self, now: dt.datetime) -> dt.datetime:
        """The first slot after ``now`` (local time of day, the next day's date)."""
        latest = self.latest(now)
        at = dt.time(self.hour, self.minute)
        return dt.datetime.combine(latest.date() + dt.timedelta(days=1), at, tzinfo=latest.tzinfo)

    def fires(self, moment: dt.datetime) -> bool:
        local = moment.replace(tzinfo=_UTC).astimezone(timezone.get_default_timezone())
        at_slot = crontab(minute=str(self.minute), hour=str(self.hour))(local.replace(tzinfo=None))
        return bool(at_slot or crontab(minute=f"*/{CHECK_MINUTES}")(moment))

    def describe(self) -> str:
        return _("每天 %(time)s（%(zone)s）") % {
            "time": f"{self.hour:02d}:{self.minute:02d}",
            "zone": timezone.get_default_timezone_name(),
        }


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[], Any]
    schedule: Every | DailyAt
    lease: dt.timedelta  # a run older than this is taken to be dead (see runs.py)
    attempts: int = 3  # failed runs per slot before waiting for the next slot
    task: Any = None  # the Huey periodic task


JOBS: dict[str, Job] = {}


def periodic_job(
    name: str, schedule: Every | DailyAt, *, lease: dt.timedelta, attempts: int = 3
) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Register ``func`` as job ``name`` and as a Huey periodic task of that name."""

    def decorator(func: Callable[[], Any]) -> Callable[[], Any]:
        def tick() -> None:
            job_run_due(name)

        tick.__name__ = tick.__qualname__ = name
        tick.__module__ = func.__module__  # Huey's task name: kehu.followups.tasks.reminders
        task = db_periodic_task(schedule.fires, name=name)(tick)
        JOBS[name] = Job(name, func, schedule, lease, attempts, task)
        return func

    return decorator


def jobs_load() -> dict[str, Job]:
    """Every job, each app's ``tasks`` module imported (once; later calls are cheap), in
    the order of their schedules: the frequent ones, then the daily ones by time of day
    (not in the order some import happened to register them)."""
    autodiscover_modules("tasks")
    ordered = sorted(JOBS.values(), key=_schedule_order)
    if list(JOBS) != [job.name for job in ordered]:
        JOBS.clear()
        JOBS.update((job.name, job) for job in ordered)
    return JOBS


def _schedule_order(job: Job) -> tuple[int, int, int, str]:
    if isinstance(job.schedule, Every):
        return (0, job.schedule.minutes, 0, job.name)
    return (1, job.schedule.hour, job.schedule.minute, job.name)


def job_get(name: str) -> Job:
    job = JOBS.get(name) or jobs_load().get(name)
    if job is None:
        raise KeyError(f"no job {name!r}; jobs: {', '.join(JOBS)}")
    return job


def job_run(name: str) -> JobRun | None:
    """Run a job now, in this process (``kehu jobs run``); ``None`` if it is running
    elsewhere."""
    job = job_get(name)
    return run_recorded(job.name, job.func, lease=job.lease)


def slot_served(job: Job, slot: dt.datetime) -> bool:
    counts = JobRun.objects.filter(name=job.name, started_at__gte=slot).aggregate(
        ok=Count("pk", filter=Q(status=JobStatus.OK)),
        failed=Count("pk", filter=Q(status=JobStatus.ERROR)),
    )
    return bool(counts["ok"] or counts["failed"] >= job.attempts)


def job_run_due(name: str, *, now: dt.datetime | None = None) -> JobRun | None:
    """The periodic entry point: run the job if its latest slot is unserved."""
    job = job_get(name)
    slot = job.schedule.latest(now or timezone.now())
    if slot_served(job, slot):
        return None
    # Checked again under the lock: another worker may have served it meanwhile.
    return run_recorded(job.name, job.func, lease=job.lease, unless=lambda: slot_served(job, slot))
