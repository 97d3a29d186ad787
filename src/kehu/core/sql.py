"""SQL pieces the ORM builds slowly.

``pk__in=[...]`` with hundreds of values prepares and renders every value, one
placeholder each, on every query: for a batch of 500 orders that costs more than
running the query. ``values_in`` passes the whole list as one parameter, expanded
by the database (``json_each`` on SQLite, ``unnest`` on PostgreSQL), and reads the
same index.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection
from django.db.models.expressions import RawSQL

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_PG_ARRAY = {"int": "bigint[]", "text": "text[]"}


def values_in(values: Sequence[int] | Sequence[str], kind: str) -> RawSQL:
    """A subquery of ``values`` for ``field__in=``; ``kind`` is ``"int"`` or ``"text"``.
    Integers outside 64 bits match nothing, as no row holds them."""
    items: list[Any] = list(values)
    if kind == "int":
        items = [v for v in items if _INT64_MIN <= int(v) <= _INT64_MAX]
    if connection.vendor == "postgresql":
        return RawSQL(f"SELECT unnest(%s::{_PG_ARRAY[kind]})", [items])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(items)])


def datetime_adapter() -> Callable[[dt.datetime], Any]:
    """``connection.ops.adapt_datetimefield_value`` for many values at once.

    On SQLite (times stored as UTC text) an aware UTC datetime becomes its text
    without Django's per-value checks; anything else takes Django's path."""
    adapt = connection.ops.adapt_datetimefield_value
    if connection.vendor != "sqlite" or connection.timezone_name != "UTC":
        return adapt

    def utc_text(value: dt.datetime) -> Any:
        if value.tzinfo is dt.UTC:
            return str(value.replace(tzinfo=None))
        return adapt(value)

    return utc_text
