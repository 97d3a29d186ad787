"""A local day's bounds as aware moments (the pages and the jobs count by local day, in
``KEHU_TIME_ZONE`` unless told another zone)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def day_start(day: dt.date, tz: dt.tzinfo | None = None) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz or timezone.get_default_timezone())


def day_end(day: dt.date, tz: dt.tzinfo | None = None) -> dt.datetime:
    """The first instant after ``day`` in ``tz``: a moment is on ``day`` or before it if
    it is earlier."""
    return day_start(day + dt.timedelta(days=1), tz)
