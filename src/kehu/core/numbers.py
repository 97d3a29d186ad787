"""Counts, percentages and spans of time as people read them, one format each, in every
language: counts grouped by thousands (``12,345``), percentages with one place and never
a negative zero (``0.0%``, not ``-0.0%``), spans in the largest whole unit that fits
(``55 天`` / ``55 days``; hours only under a day, minutes only under an hour).

Templates use the ``count``, ``percent`` and ``duration`` filters of
``core/templatetags/kehu.py`` (and ``money`` for amounts, ``kehu.core.money``); charts
get the same formats as JSON (``kehu.core.charts``) for their tooltips and axes.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import npgettext

from kehu.core.money import MISSING, as_decimal


def count_text(value: Any) -> str:
    """``12345`` → ``"12,345"``; ``None`` → ``"—"``."""
    number = as_decimal(value)
    if number is None:
        return MISSING
    return f"{int(number):,}"


def percent_text(value: Any, places: int = 1) -> str:
    """A percentage given in percent (``12.345`` → ``"12.3%"``); ``-0.04`` → ``"0.0%"``;
    ``None`` → ``"—"``."""
    number = as_decimal(value)
    if number is None:
        return MISSING
    rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # Decimal("-0.0") prints its sign
    return f"{rounded:,.{places}f}%"


def duration_text(span: dt.timedelta) -> str:
    """How long (the sign is the caller's): ``55 天`` from a day on, ``3 小时`` under a
    day, ``12 分钟`` under an hour — a deadline 1,333 hours ago is 55 days ago."""
    minutes = int(abs(span.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    if days:
        return npgettext("duration", "%(n)d 天", "%(n)d 天", days) % {"n": days}
    hours = rest // 60
    if hours:
        return npgettext("duration", "%(n)d 小时", "%(n)d 小时", hours) % {"n": hours}
    return npgettext("duration", "%(n)d 分钟", "%(n)d 分钟", minutes) % {"n": minutes}
