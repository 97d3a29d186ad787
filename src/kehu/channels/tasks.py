"""Periodic job of the channels app (imported by ``kehu jobs`` and Huey)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kehu.channels.summaries import channel_months_refresh
from kehu.jobs.schedule import DailyAt, periodic_job


@periodic_job("channel_summaries", DailyAt(4, 30), lease=dt.timedelta(hours=2))
def channel_summaries() -> dict[str, Any]:
    """The last 13 months of ``ChannelMonth`` (after the value run: its CLV is read)."""
    run = channel_months_refresh()
    return {"rows": run.rows, "seconds": run.seconds, "months_from": run.months_from.isoformat()}
