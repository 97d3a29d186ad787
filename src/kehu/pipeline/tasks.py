"""Periodic jobs of the pipeline app (imported by ``kehu jobs`` and Huey)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from kehu.jobs.schedule import DailyAt, periodic_job
from kehu.pipeline.stale import opportunities_flag_stale


@periodic_job("pipeline_stale", DailyAt(2, 30), lease=dt.timedelta(hours=1))
def flag_stale() -> dict[str, Any]:
    """Opportunities untouched for KEHU_OPPORTUNITY_STALE_DAYS days → a task for their owner."""
    return dataclasses.asdict(opportunities_flag_stale())
