"""The customers' periodic jobs (``kehu jobs`` and Huey import every app's ``tasks``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from kehu.customers import duplicates, ownership
from kehu.jobs.schedule import DailyAt, periodic_job


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
