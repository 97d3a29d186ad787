"""The nightly segment job: refresh the stored order facts, then size every segment.

After the value scoring (04:00) and the lifecycle job (05:00), so the sizes read the
day's scores and stages. Idempotent: a segment sized today is not sized again (its
snapshot row is the marker); the refresh recomputes the same rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kehu.jobs.schedule import DailyAt, periodic_job
from kehu.segments.refresh import facts_refresh
from kehu.segments.services import snapshots_take


@periodic_job("segments_nightly", DailyAt(5, 30), lease=dt.timedelta(hours=2))
def segments_nightly() -> dict[str, Any]:
    now = timezone.now()
    refreshed = facts_refresh(now=now)
    return {"facts": refreshed, **snapshots_take(day=timezone.localdate(now))}
