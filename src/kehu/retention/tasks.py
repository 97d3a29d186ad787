"""The nightly retention job (挽留方案): after the value scoring (04:00), the lifecycle
job (05:00) and the segment sizes (05:30), so it reads the day's risk, tiers and
segments. Idempotent: runs already ended stay ended, and a customer is not started
again for a playbook within its window (``triggers._cooling``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kehu.jobs.schedule import DailyAt, periodic_job
from kehu.retention.outcomes import runs_close_expired
from kehu.retention.services import steps_sync
from kehu.retention.triggers import triggers_run


def retention_pass(now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    synced = steps_sync()
    closed = runs_close_expired(now=now)
    started = triggers_run(now=now)
    return {"steps_synced": synced, **closed, **started}


@periodic_job("retention_nightly", DailyAt(5, 45), lease=dt.timedelta(hours=2))
def retention_nightly() -> dict[str, Any]:
    """Outcomes of the runs whose window passed, then the nightly triggers."""
    return retention_pass()
