"""A local day's bounds as aware moments (the pages and the jobs count by local day)."""

from __future__ import annotations

import datetime as dt


def day_start(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz)


def day_end(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """The first instant after ``day`` in ``tz``: a moment is on ``day`` or before it if
    it is earlier."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
