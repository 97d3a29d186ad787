"""The job runner's own periodic job: pruning old runs. Every app keeps its periodic
jobs in its own ``tasks`` module (Huey imports each; so does ``kehu jobs``).

Each is safe to run twice, concurrently, or after a worker died half-way; each run is
recorded in ``JobRun`` (admin → 后台任务).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from kehu.jobs.models import JobRun
from kehu.jobs.schedule import DailyAt, periodic_job


@periodic_job("jobruns_prune", DailyAt(4, 0), lease=dt.timedelta(hours=1))
def jobruns_prune() -> dict[str, Any]:
    """Forget job runs older than ``KEHU_JOBS_KEEP_DAYS``."""
    cutoff = timezone.now() - dt.timedelta(days=settings.KEHU_JOBS_KEEP_DAYS)
    deleted, _by_model = JobRun.objects.filter(started_at__lt=cutoff).delete()
    return {"deleted": deleted}
