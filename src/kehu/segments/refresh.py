"""Refresh ``CustomerFacts``: every alive customer's order facts, from the lifecycle
fact table (the same numbers the lifecycle rules read), a run of ids at a time.

Why a table and not SQL at count time: the windows of revenue and profit (net of
refunds, profit unknown when a cost is) and the median gap between purchase days are
folded in numpy by ``lifecycle.facts``; in SQL each would be a GROUP BY over ten
million orders per count, and the median has no portable SQL. The nightly job
(``tasks.segments_nightly``) refreshes them before sizing the segments; the times of
the first and last purchase are stored as times, so "days since" stays exact between
refreshes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from kehu.core.sql import chunks, datetime_adapter, values_insert
from kehu.customers.models import Customer
from kehu.lifecycle.facts import fact_table
from kehu.orders.models import Order, purchases_where
from kehu.segments.models import STORED_FACTS, CustomerFacts

CHUNK = 20_000
COLUMNS = ("customer_id", "refreshed_at", *STORED_FACTS, "first_order_at", "last_order_at")


def _first_last(low: int, high: int, now: dt.datetime) -> dict[int, tuple[Any, Any]]:
    """Per customer with ids ``low``..``high``: its first and last purchase time, in the
    database's own form (stored back as it is)."""
    table = connection.ops.quote_name(Order._meta.db_table)
    sql = (
        f"SELECT customer_id, MIN(ordered_at), MAX(ordered_at) FROM {table} "
        f"WHERE {purchases_where()} AND customer_id >= %s AND customer_id <= %s "
        "AND ordered_at <= %s GROUP BY customer_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [low, high, datetime_adapter()(now)])
        return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}


def _run(ids: list[int], now: dt.datetime) -> int:
    table = fact_table(ids, now=now, needed=STORED_FACTS, by_range=True)
    alive = table.ids.tolist()
    times = _first_last(ids[0], ids[-1], now) if alive else {}
    at = datetime_adapter()(now)
    columns = [table.column(name) for name in STORED_FACTS]
    values = np.column_stack(columns).tolist() if alive else []
    rows = []
    for customer_id, numbers in zip(alive, values, strict=True):
        first, last = times.get(customer_id, (None, None))
        facts = [None if number != number else number for number in numbers]
        rows.append((customer_id, at, *facts, first, last))
    with transaction.atomic():
        CustomerFacts.objects.filter(customer_id__gte=ids[0], customer_id__lte=ids[-1]).delete()
        values_insert(CustomerFacts, COLUMNS, rows)
    return len(rows)


def facts_refresh(*, now: dt.datetime | None = None, chunk: int = CHUNK) -> int:
    """Recompute every alive customer's row (rows of deleted customers go); the number
    of rows written."""
    now = now or timezone.now()
    ids = list(Customer.objects.alive().order_by("pk").values_list("pk", flat=True))
    written = 0
    for run in chunks(ids, chunk):
        written += _run(list(run), now)
    CustomerFacts.objects.exclude(customer__deleted_at__isnull=True).delete()
    return written
