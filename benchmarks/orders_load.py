"""Orders written for a benchmark with bare inserts (``kehu.core.bulk``), whatever the
buying rhythm: a loader yields (customer, when, total in cents) and this writes them."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable
from typing import Any

CHUNK = 100_000
COLUMNS = [
    "customer_id", "source", "external_id", "ordered_at", "channel", "status", "currency",
    "total", "cost", "refunded_total", "content_hash", "version", "created_at", "updated_at",
]  # fmt: skip


def orders_write(purchases: Iterable[tuple[int, dt.datetime, int]], *, seed: int) -> int:
    """Write ``purchases`` as paid orders (3 % cancelled; one in ten without a known
    cost, the others at 60 % of the total); the number written."""
    from benchmarks.harness import sqlite_bulk_writes

    with sqlite_bulk_writes():
        return _orders_write(purchases, seed=seed)


def _orders_write(purchases: Iterable[tuple[int, dt.datetime, int]], *, seed: int) -> int:
    from django.utils import timezone

    from kehu.core.bulk import bulk_insert
    from kehu.core.sql import datetime_adapter
    from kehu.orders.models import Order

    rng = random.Random(seed)
    adapt = datetime_adapter()
    stamp = adapt(timezone.now())
    table = Order._meta.db_table
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


def population_load(
    args: Any, load_orders: Callable[[Any, list[int]], int]
) -> tuple[list[int], int]:
    """Migrate, ``args.customers`` customers (``bulk.bulk_load``) and their orders from
    ``load_orders``; the customer ids and the number of orders. PostgreSQL is analysed."""
    import time

    from django.core.management import call_command
    from django.db import connection

    from benchmarks.bulk import bulk_load
    from kehu.customers.models import Customer
    from kehu.demo.generate import demo_users

    call_command("migrate", verbosity=0)
    owners = demo_users()
    print(f"[{args.db}] loading {args.customers:,} customers…", flush=True)
    bulk_load(args.customers, seed=1, owners=owners, progress=False)
    customer_ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    print(f"[{args.db}] loading orders…", flush=True)
    started = time.perf_counter()
    orders = load_orders(args, customer_ids)
    print(f"[{args.db}] {orders:,} orders in {time.perf_counter() - started:.1f} s", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return customer_ids, orders
