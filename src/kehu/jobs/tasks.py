"""The periodic jobs (Huey imports every app's ``tasks`` module; so does ``kehu jobs``).

Each is safe to run twice, concurrently, or after a worker died half-way; each run is
recorded in ``JobRun`` (admin → 后台任务).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from kehu.customers import duplicates, ownership
from kehu.followups import reminders as followup_reminders
from kehu.jobs.models import JobRun
from kehu.jobs.schedule import DailyAt, Every, periodic_job


@periodic_job("reminders", Every(1), lease=dt.timedelta(minutes=5))
def reminders() -> dict[str, Any]:
    """Due follow-up tasks and pool notices → notifications, then e-mail (once each)."""
    return dataclasses.asdict(followup_reminders.reminders_send())


@periodic_job("pool_reclaim", DailyAt(2, 0), lease=dt.timedelta(hours=2))
def pool_reclaim() -> dict[str, Any]:
    """The public pool's reclaim rules (公海回收) and their advance notices."""
    return dataclasses.asdict(ownership.pool_reclaim())


@periodic_job("dedupe_scan", DailyAt(3, 0), lease=dt.timedelta(hours=3))
def dedupe_scan() -> dict[str, Any]:
    """The whole-database duplicate scan, stored for the 疑似重复 page."""
    result = duplicates.duplicate_scan()
    stored = duplicates.duplicate_scan_save(result)
    return {"pairs": stored, "compared": result.compared, "seconds": round(result.seconds, 2)}


@periodic_job("jobruns_prune", DailyAt(4, 0), lease=dt.timedelta(hours=1))
def jobruns_prune() -> dict[str, Any]:
    """Forget job runs older than ``KEHU_JOBS_KEEP_DAYS``."""
    cutoff = timezone.now() - dt.timedelta(days=settings.KEHU_JOBS_KEEP_DAYS)
    deleted, _by_model = JobRun.objects.filter(started_at__lt=cutoff).delete()
    return {"deleted": deleted}
