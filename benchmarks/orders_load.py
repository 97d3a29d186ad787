"""Orders written for a benchmark with bare inserts (``kehu.core.bulk``), whatever the
buying rhythm: a loader yields (customer, when, total in cents) and this writes them."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable

CHUNK = 100_000
COLUMNS = [
    "customer_id", "source", "external_id", "ordered_at", "channel", "status", "currency",
    "total", "cost", "refunded_total", "content_hash", "version", "created_at", "updated_at",
]  # fmt: skip


def orders_write(purchases: Iterable[tuple[int, dt.datetime, int]], *, seed: int) -> int:
    """Write ``purchases`` as paid orders (3 % cancelled; one in ten without a known
    cost, the others at 60 % of the total); the number written."""
    from django.db import connection
    from django.utils import timezone

    from kehu.core.bulk import bulk_insert
    from kehu.core.sql import datetime_adapter
    from kehu.orders.models import Order

    rng = random.Random(seed)
    adapt = datetime_adapter()
    stamp = adapt(timezone.now())
    table = Order._meta.db_table
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint=100000")
    rows: list[tuple[object, ...]] = []
    written = 0
    for customer_id, at, total in purchases:
        cost = None if rng.random() < 0.1 else f"{total * 0.6 / 100:.2f}"
        written += 1
        rows.append(
            (
                customer_id, "shop", f"B{written:09d}", adapt(at), "online_shop",
                "cancelled" if rng.random() < 0.03 else "paid", "CNY",
                f"{total / 100:.2f}", cost, "0.00", "", 1, stamp, stamp,
            )
        )  # fmt: skip
        if len(rows) >= CHUNK:
            bulk_insert(table, COLUMNS, rows)
            rows = []
    bulk_insert(table, COLUMNS, rows)
    return written
