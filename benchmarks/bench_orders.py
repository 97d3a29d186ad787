"""Order ingestion through the batch API, against a bare executemany of the same rows.

    python benchmarks/bench_orders.py --db sqlite|postgres [--orders 100000] [--batch 500]

N orders (1–3 lines each; customers named by Kehu id or by their external id, products
by id or SKU) are POSTed to /api/v1/orders/batch through Django's test Client with a
Bearer token, in batches of B, each batch its own transaction. The rows the API wrote
are then read back, the tables emptied, and exactly those rows inserted again with a
bare DB-API ``executemany`` per table, in the same batches and transactions: the
baseline, measured in the same run.

Prints a table and writes benchmarks/results/orders_<db>.json. Target: the API
ingests at least 25 % of the bare insert rate (exit non-zero otherwise, or when any
order was refused or the two runs did not write the same rows).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.harness import RESULTS, bench_database, percentile

TARGET = 0.25
CHANNELS = ["online_shop", "store", "sales_rep", "phone", "wechat", "dealer", "other"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--products", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--lifecycle",
        choices=["on", "off"],
        default="on",
        help="off: orders do not re-evaluate their customers' lifecycle stages (issue 7's engine)",
    )
    args = parser.parse_args()

    with bench_database(args.db, pg_options=("-c shared_buffers=512MB", "-c max_wal_size=4GB")):
        ok = run(args)
    sys.exit(0 if ok else 1)


def make_orders(
    args: argparse.Namespace, customers: list[tuple[int, str]], products: list[tuple[int, str]]
) -> list[dict[str, Any]]:
    """N order payloads as a shop system would push them."""
    rng = random.Random(args.seed)
    start = dt.datetime(2024, 1, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    orders = []
    for i in range(args.orders):
        customer_id, customer_external_id = rng.choice(customers)
        lines = []
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            product_id, sku = rng.choice(products)
            line: dict[str, Any] = {"quantity": str(rng.randint(1, 5))}
            if rng.random() < 0.5:
                line["sku"] = sku
            else:
                line["product_id"] = product_id
            if rng.random() < 0.7:
                line["unit_price"] = f"{rng.randint(500, 50_000) / 100:.2f}"
            if rng.random() < 0.2:
                line["discount"] = "1.00"
            lines.append(line)
        order: dict[str, Any] = {
            "source": "shop",
            "external_id": f"SO{i:08d}",
            "ordered_at": (start + dt.timedelta(minutes=7 * i)).isoformat(),
            "status": "cancelled" if rng.random() < 0.03 else "paid",
            "channel": rng.choice(CHANNELS),
            "lines": lines,
        }
        if rng.random() < 0.3:
            order["customer_external_id"] = customer_external_id
        else:
            order["customer_id"] = customer_id
        orders.append(order)
    return orders


def run(args: argparse.Namespace) -> bool:
    import django

    django.setup()
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from benchmarks.bulk import bulk_load
    from kehu.accounts.models import User
    from kehu.accounts.services import token_create
    from kehu.customers.models import Customer
    from kehu.demo.generate import demo_users
    from kehu.orders.models import Order, OrderLine, Product

    call_command("migrate", verbosity=0)
    if args.lifecycle == "off":
        from kehu.core.events import unsubscribe

        unsubscribe("order_recorded", "lifecycle.evaluate")
    owners = demo_users()
    print(f"[{args.db}] loading {args.customers:,} customers…", flush=True)
    bulk_load(args.customers, seed=1, owners=owners, progress=False)
    table = Customer._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET source = 'shop', external_id = 'C' || id")
    customers = [(pk, f"C{pk}") for pk in Customer.objects.values_list("pk", flat=True)]
    rng = random.Random(args.seed)
    Product.objects.bulk_create(
        Product(
            name=f"产品{i}",
            sku=f"SKU-{i:05d}",
            category=f"类别{i % 12}",
            price=Decimal(rng.randint(500, 50_000)) / 100,
            # One product in ten has no known unit cost: those orders' profit is unknown.
            unit_cost=None if i % 10 == 0 else Decimal(rng.randint(100, 20_000)) / 100,
        )
        for i in range(args.products)
    )
    products = list(Product.objects.values_list("pk", "sku"))
    admin = User.objects.get(username="admin")
    _token, raw = token_create(user=admin, name="bench")
    payloads = make_orders(args, customers, products)
    bodies = [
        json.dumps({"orders": payloads[start : start + args.batch]}).encode()
        for start in range(0, len(payloads), args.batch)
    ]
    # A server does not hold 100,000 parsed orders: drop them, so the garbage collector
    # does not walk them on every pass of the measured run.
    del payloads
    gc.collect()
    # Start as a served process does (kehu/wsgi.py): URL patterns built, what was loaded
    # at start-up kept out of the collector's full passes.
    import kehu.wsgi  # noqa: F401

    client = Client(HTTP_HOST="localhost")
    headers = {"Authorization": f"Bearer {raw}"}
    if args.lifecycle == "on":
        # The steady state: every customer already has its stages (the daily job, or
        # the first evaluation, placed it), so an order re-evaluates, it does not place.
        from django.utils import timezone

        from kehu.lifecycle.engine import lifecycle_recompute

        lifecycle_recompute(now=timezone.now())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    # A served process has imported its code before the first push: one empty batch
    # does what start-up leaves to the first request (the view path's own imports).
    empty = json.dumps({"orders": []})
    response = client.post(
        "/api/v1/orders/batch", empty, content_type="application/json", headers=headers
    )
    assert response.status_code == 200, response.content[:500]

    # --- the API ---------------------------------------------------------------------
    print(f"[{args.db}] posting {args.orders:,} orders in batches of {args.batch}…", flush=True)
    latencies: list[float] = []
    refused: list[Any] = []
    queries: int | None = None
    started = time.perf_counter()
    for number, body in enumerate(bodies):
        begin = time.perf_counter()
        if number == 1:
            with CaptureQueriesContext(connection) as ctx:
                response = client.post(
                    "/api/v1/orders/batch", body, content_type="application/json", headers=headers
                )
            queries = len(ctx.captured_queries)
        else:
            response = client.post(
                "/api/v1/orders/batch", body, content_type="application/json", headers=headers
            )
        latencies.append((time.perf_counter() - begin) * 1000)
        assert response.status_code == 200, response.content[:500]
        refused.extend(r for r in response.json()["results"] if "error" in r)
    api_seconds = time.perf_counter() - started
    line_count = OrderLine.objects.count()
    order_count = Order.objects.count()

    # Sending a batch again: every order unchanged, nothing written.
    again = time.perf_counter()
    for body in bodies[:10]:
        response = client.post(
            "/api/v1/orders/batch", body, content_type="application/json", headers=headers
        )
        assert all(r.get("outcome") == "unchanged" for r in response.json()["results"])
    resend_rate = min(10, len(bodies)) * args.batch / (time.perf_counter() - again)

    # --- the baseline: the same rows, bare executemany ------------------------------------
    order_table, line_table = Order._meta.db_table, OrderLine._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {order_table} ORDER BY id")
        order_columns = [c[0] for c in cursor.description]
        order_rows = cursor.fetchall()
        cursor.execute(f"SELECT * FROM {line_table} ORDER BY order_id, position")
        line_columns = [c[0] for c in cursor.description]
        line_rows = cursor.fetchall()

    def empty_tables() -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"TRUNCATE {line_table}, {order_table} CASCADE")
            else:
                cursor.execute(f"DELETE FROM {line_table}")
                cursor.execute(f"DELETE FROM {order_table}")
            cursor.execute("ANALYZE")

    empty_tables()
    order_id_at = order_columns.index("id")
    line_order_at = line_columns.index("order_id")
    lines_by_order: dict[int, list[tuple[Any, ...]]] = {}
    for row in line_rows:
        lines_by_order.setdefault(row[line_order_at], []).append(row)
    batches = []
    for start in range(0, len(order_rows), args.batch):
        chunk = order_rows[start : start + args.batch]
        lines = [line for row in chunk for line in lines_by_order.get(row[order_id_at], [])]
        batches.append((chunk, lines))
    mark = "?" if connection.vendor == "sqlite" else "%s"

    def insert_sql(table: str, columns: list[str]) -> str:
        return (
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join([mark] * len(columns))})"
        )

    order_sql = insert_sql(order_table, order_columns)
    line_sql = insert_sql(line_table, line_columns)
    print(f"[{args.db}] inserting the same rows with executemany…", flush=True)
    connection.ensure_connection()
    raw_connection = connection.connection
    started = time.perf_counter()
    for chunk, lines in batches:
        with transaction.atomic():
            cursor = raw_connection.cursor()
            cursor.executemany(order_sql, chunk)
            cursor.executemany(line_sql, lines)
            cursor.close()
    bare_seconds = time.perf_counter() - started
    same_rows = Order.objects.count() == order_count and OrderLine.objects.count() == line_count

    # For context: the same rows as multi-row INSERT ... VALUES (...), (...) statements.
    empty_tables()
    limit = 999 if connection.vendor == "sqlite" else 65535

    def multirow(cursor: Any, table: str, columns: list[str], rows: list[Any]) -> None:
        per = min(1000, limit // len(columns))
        row = "(" + ", ".join([mark] * len(columns)) + ")"
        for start in range(0, len(rows), per):
            part = rows[start : start + per]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row] * len(part))}",
                [value for values in part for value in values],
            )

    started = time.perf_counter()
    for chunk, lines in batches:
        with transaction.atomic():
            cursor = raw_connection.cursor()
            multirow(cursor, order_table, order_columns, chunk)
            multirow(cursor, line_table, line_columns, lines)
            cursor.close()
    multirow_seconds = time.perf_counter() - started

    api_rate = args.orders / api_seconds
    bare_rate = args.orders / bare_seconds
    ratio = api_rate / bare_rate
    met = ratio >= TARGET and not refused and same_rows
    results = {
        "db": args.db,
        "orders": args.orders,
        "lines": line_count,
        "batch": args.batch,
        "customers": args.customers,
        "products": args.products,
        "api": {
            "seconds": api_seconds,
            "orders_per_s": api_rate,
            "lines_per_s": line_count / api_seconds,
            "batch_p50_ms": statistics.median(latencies),
            "batch_p95_ms": percentile(latencies, 0.95),
            "queries_per_batch": queries,
            "refused": len(refused),
        },
        "resend_unchanged_orders_per_s": resend_rate,
        "bare_executemany": {"seconds": bare_seconds, "orders_per_s": bare_rate},
        "bare_multirow_insert": {
            "seconds": multirow_seconds,
            "orders_per_s": args.orders / multirow_seconds,
        },
        "ratio": ratio,
        "target_ratio": TARGET,
        "same_rows": same_rows,
        "met": met,
        "lifecycle": args.lifecycle,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.lifecycle == "on" else "_lifecycle_off"
    (RESULTS / f"orders_{args.db}{suffix}.json").write_text(json.dumps(results, indent=2))

    print(
        f"\nOrder ingestion, {args.orders:,} orders ({line_count:,} lines) in batches of "
        f"{args.batch} on {args.db} (target: API ≥ {TARGET:.0%} of bare executemany)"
    )
    print(f"{'path':34} {'seconds':>8} {'orders/s':>10} {'lines/s':>10}")
    print(
        f"{'bare executemany (same rows)':34} {bare_seconds:8.2f} {bare_rate:10,.0f} "
        f"{line_count / bare_seconds:10,.0f}"
    )
    print(
        f"{'bare multi-row INSERT (context)':34} {multirow_seconds:8.2f} "
        f"{args.orders / multirow_seconds:10,.0f} {line_count / multirow_seconds:10,.0f}"
    )
    print(
        f"{'POST /api/v1/orders/batch':34} {api_seconds:8.2f} {api_rate:10,.0f} "
        f"{line_count / api_seconds:10,.0f}"
    )
    print(
        f"batch p50 {statistics.median(latencies):.0f} ms, "
        f"p95 {percentile(latencies, 0.95):.0f} ms, {queries} queries per batch; "
        f"sent again (all unchanged): {resend_rate:,.0f} orders/s"
    )
    print(f"API / bare = {ratio:.1%}  {'yes' if met else 'NO'}")
    if refused:
        print(f"{len(refused)} orders refused, e.g. {refused[:3]}")
    if not same_rows:
        print("the baseline did not write the same rows")
    return met


if __name__ == "__main__":
    main()
