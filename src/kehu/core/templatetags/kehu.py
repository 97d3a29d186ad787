"""Template helpers: query-string building, and the one
way a page shows an amount, a count, a percentage or a span of time (``money``,
``count``, ``percent``, ``duration``; see ``kehu.core.money`` and ``kehu.core.numbers``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.http import QueryDict

from kehu.core.money import money_display
from kehu.core.numbers import count_text, duration_text, percent_text

register = template.Library()


@register.filter
def money(value: Any, currency: str | None = None) -> str:
    """``{{ order.total|money:order.currency }}`` → ``¥16,660.00`` (``—`` for none)."""
    return money_display(value, currency or None)


@register.filter
def count(value: Any) -> str:
    """``{{ n|count }}`` → ``12,345``."""
    return count_text(value)


@register.filter
def percent(value: Any, places: int = 1) -> str:
    """``{{ share|percent }}`` of a value already in percent → ``12.3%`` (never ``-0.0%``)."""
    return percent_text(value, int(places))


@register.filter
def duration(value: dt.timedelta | None) -> str:
    """``{{ span|duration }}`` → ``55 天`` / ``3 小时`` / ``12 分钟``."""
    return "" if value is None else duration_text(value)


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], *pairs: Any, **changes: Any) -> str:
    """The current query string with some parameters replaced (for pagination/sort).
    A parameter whose name is a variable comes as a pair: ``{% query_with name 2 %}``."""
    query: QueryDict = context["request"].GET.copy()
    changes = {**dict(zip(pairs[::2], pairs[1::2], strict=True)), **changes}
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = str(value)
    return "?" + query.urlencode() if query else "?"


@register.filter
def get_item(mapping: dict[str, Any] | None, key: str) -> Any:
    return (mapping or {}).get(key, "")
