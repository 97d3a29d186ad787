"""Saving a sale from the form (录入订单), against the bare INSERTs of the same order.

    python benchmarks/bench_sale.py --db sqlite|postgres [--customers 1000000]
        [--orders-per-customer 10] [--samples 300] [--recompute]

A database of N customers and about 10 orders each (bare inserts, as the lifecycle
benchmark loads them) and 500 products. A salesperson then saves sales through the
sale form's view — Django's test Client POSTs ``/orders/sale/new/?customer=ID`` with
1–3 lines, as the browser does: session, access check, form, ``order_upsert`` with its
lookups, the lifecycle re-evaluation of the customer, the redirect. Each sale is
measured side by side with the floor: the bare INSERTs of an order and its lines
(an ``INSERT`` of the order, an ``executemany`` of its lines, one commit) on the same
connection, alternating, so both see the same machine.

1M customers / 10M orders is the figure's size; loading them took over 30 minutes on
a loaded 2-core machine, so smaller runs (``--customers 200000``) are reported with
the scale said: every query of a sale is an index lookup of one customer.

``--unanalysed-sales N`` writes N sales typed in Kehu after the ANALYZE, as a served
database has between two autoanalyzes (up to 10 % of the orders): the statistics then
know of no order of the source ``kehu``, and a plan built on that estimate scans them
all (the order lookup by ``(source, external_id)`` did, 132 ms at 100,000).

Prints a table and writes benchmarks/results/sale_<db>.json. Target: the form's p95
under 100 ms (exit non-zero otherwise, or when a sale was refused).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.harness import RESULTS, bench_database, percentile
from benchmarks.orders_load import orders_write, population_load

P95_TARGET_MS = 100.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders-per-customer", type=float, default=10.0)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--products", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--recompute",
        action="store_true",
        help="place every customer's lifecycle stage first (the steady state; slow at 1M)",
    )
    parser.add_argument(
        "--unanalysed-sales",
        type=int,
        default=0,
        help="orders typed in Kehu written after the statistics were gathered (autoanalyze "
        "waits for 10 %% of a table to change: up to 1M orders at 10M)",
    )
    parser.add_argument("--profile", action="store_true", help="print where the form's time goes")
    args = parser.parse_args()
    with bench_database(args.db, pg_options=("-c shared_buffers=512MB", "-c max_wal_size=4GB")):
        ok = run(args)
    sys.exit(0 if ok else 1)


def load_orders(args: argparse.Namespace, customer_ids: list[int]) -> int:
    """About ``orders-per-customer`` orders per customer over two years, bare inserts."""
    from django.utils import timezone

    rng = random.Random(args.seed)
    now = timezone.now()
    start = now - dt.timedelta(days=730)
    top = max(1, round(args.orders_per_customer * 2))

    def purchases() -> Iterator[tuple[int, dt.datetime, int]]:
        for customer_id in customer_ids:
            count = rng.randint(0, top)
            arrival = rng.random() * 600
            at = start + dt.timedelta(days=arrival)
            pace = (730 - arrival) / max(count, 1) * rng.uniform(0.4, 1.0)
            for _ in range(count):
                yield customer_id, at, rng.randint(1_000, 200_000)
                at += dt.timedelta(days=pace * rng.uniform(0.5, 1.5))

    return orders_write(purchases(), seed=args.seed)


def unanalysed_sales_write(args: argparse.Namespace, customer_ids: list[int]) -> None:
    """Sales typed in Kehu (source ``kehu``) since the last ANALYZE, as bare inserts: what
    the statistics do not know yet on a served database."""
    from django.utils import timezone

    from benchmarks.orders_load import COLUMNS
    from kehu.core.bulk import bulk_insert
    from kehu.core.sql import datetime_adapter
    from kehu.orders.models import Order

    rng = random.Random(args.seed + 1)
    adapt = datetime_adapter()
    stamp = adapt(timezone.now())
    rest = ("store", "paid", "CNY", "100.00", "60.00", "0.00", "", 1, stamp, stamp)
    rows = [
        (rng.choice(customer_ids), "kehu", f"S-BENCH-{n:07d}", stamp, *rest)
        for n in range(args.unanalysed_sales)
    ]
    bulk_insert(Order._meta.db_table, COLUMNS, rows)
    print(f"[{args.db}] {len(rows):,} sales typed in Kehu since the last ANALYZE", flush=True)


def run(args: argparse.Namespace) -> bool:
    import django

    django.setup()
    from decimal import Decimal

    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from kehu.accounts.models import Role, User
    from kehu.core.sql import datetime_adapter
    from kehu.customers.models import Customer
    from kehu.orders.ingest import LINE_COLUMNS, ORDER_COLUMNS
    from kehu.orders.models import Order, OrderLine, Product

    customer_ids, orders = population_load(args, load_orders)
    rng = random.Random(args.seed)
    Product.objects.bulk_create(
        Product(
            name=f"产品{i}",
            sku=f"SKU-{i:05d}",
            price=Decimal(rng.randint(500, 50_000)) / 100,
            unit_cost=None if i % 10 == 0 else Decimal(rng.randint(100, 20_000)) / 100,
        )
        for i in range(args.products)
    )
    products = list(Product.objects.values_list("pk", "price", "unit_cost"))
    seller = User.objects.filter(role=Role.SALES, is_active=True).order_by("pk").first()
    assert seller is not None
    own = list(Customer.objects.filter(owner=seller).values_list("pk", flat=True)[:50_000])
    print(f"[{args.db}] {seller.username} owns {len(own):,} sampled customers", flush=True)
    if args.recompute:
        from kehu.lifecycle.engine import lifecycle_recompute

        print(f"[{args.db}] placing lifecycle stages…", flush=True)
        lifecycle_recompute(now=timezone.now())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    if args.unanalysed_sales:
        unanalysed_sales_write(args, customer_ids)

    import kehu.wsgi  # noqa: F401  (start as a served process does)

    client = Client(HTTP_HOST="localhost")
    client.force_login(seller)

    def sale_body() -> dict[str, Any]:
        lines = rng.sample(products, rng.choice((1, 1, 2, 3)))
        return {
            "ordered_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "channel": "store",
            "payment_status": "paid",
            "line_product": [str(pk) for pk, _price, _cost in lines],
            "line_quantity": [str(rng.randint(1, 3)) for _ in lines],
            "line_price": [str(price) for _pk, price, _cost in lines],
            "line_cost": ["" if cost is None else str(cost) for _pk, _price, cost in lines],
            "line_discount": ["0" for _ in lines],
        }

    adapt = datetime_adapter()
    mark = "?" if connection.vendor == "sqlite" else "%s"
    order_table, line_table = Order._meta.db_table, OrderLine._meta.db_table
    order_sql = (
        f"INSERT INTO {order_table} ({', '.join(ORDER_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(ORDER_COLUMNS))})"
    )
    line_sql = (
        f"INSERT INTO {line_table} ({', '.join(LINE_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(LINE_COLUMNS))})"
    )
    floor_count = [0]

    def floor(customer_id: int, body: dict[str, Any]) -> float:
        """The order and its lines as bare INSERTs in one transaction."""
        floor_count[0] += 1
        now = adapt(timezone.now())
        row = (
            now, now, customer_id, "floor", f"F{floor_count[0]:08d}", now, "store", "paid",
            "paid", "CNY", Decimal("1.00"), None, Decimal("0.00"), "", 1, seller.pk, seller.pk,
        )  # fmt: skip
        started = time.perf_counter()
        with transaction.atomic():
            cursor = connection.connection.cursor()
            cursor.execute(order_sql, row)
            if connection.vendor == "postgresql":
                cursor.execute("SELECT lastval()")
                (order_id,) = cursor.fetchone()
            else:
                order_id = cursor.lastrowid
            lines = [
                (order_id, n, int(pk), Decimal(q), Decimal(p), Decimal("0.00"), None, Decimal(p))
                for n, (pk, q, p) in enumerate(
                    zip(
                        body["line_product"], body["line_quantity"], body["line_price"], strict=True
                    )
                )
            ]
            cursor.executemany(line_sql, lines)
            cursor.close()
        return (time.perf_counter() - started) * 1000

    refused: list[str] = []

    def form(customer_id: int, body: dict[str, Any]) -> float:
        started = time.perf_counter()
        response = client.post(f"/orders/sale/new/?customer={customer_id}", body)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 302:
            refused.append(f"{response.status_code}: {response.content[:300]!r}")
        return elapsed

    connection.ensure_connection()
    for customer_id in own[:10]:  # warm up: imports, caches, the connection
        body = sale_body()
        form(customer_id, body)
        floor(customer_id, body)
    print(f"[{args.db}] {args.samples} sales, each beside its floor…", flush=True)
    picks = rng.sample(own, min(len(own) - 10, args.samples))
    form_ms: list[float] = []
    floor_ms: list[float] = []
    for customer_id in picks:
        body = sale_body()
        form_ms.append(form(customer_id, body))
        floor_ms.append(floor(customer_id, body))

    if args.profile:
        import cProfile
        import pstats

        # Every statement of one sale, timed where it runs (the query log is emptied
        # when a request starts: a CaptureQueriesContext around one read nothing).
        captured: list[tuple[float, str]] = []

        def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                captured.append(((time.perf_counter() - started) * 1000, sql))

        with connection.execute_wrapper(record):
            form(picks[0], sale_body())
        print(f"statements per sale: {len(captured)} (BEGIN and COMMIT not counted)")
        for took, sql in captured:
            print(f"  {took:7.2f} ms  {sql[:150]}")
        profiler = cProfile.Profile()
        profiler.enable()
        for customer_id in picks[1:31]:
            form(customer_id, sale_body())
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)

    def stats(values: list[float]) -> dict[str, float]:
        return {
            "p50_ms": round(statistics.median(values), 2),
            "p95_ms": round(percentile(values, 0.95), 2),
            "max_ms": round(max(values), 2),
        }

    result = {
        "db": args.db,
        "customers": len(customer_ids),
        "orders": orders,
        "samples": len(picks),
        "form": stats(form_ms),
        "floor": stats(floor_ms),
        "refused": len(refused),
        "lifecycle_placed_first": args.recompute,
        "unanalysed_sales": args.unanalysed_sales,
        "target_p95_ms": P95_TARGET_MS,
    }
    ratio = result["form"]["p95_ms"] / max(result["floor"]["p95_ms"], 0.001)
    result["p95_ratio"] = round(ratio, 1)
    ok = result["form"]["p95_ms"] < P95_TARGET_MS and not refused
    result["ok"] = ok
    since = f", {args.unanalysed_sales:,} sales since ANALYZE" if args.unanalysed_sales else ""
    print(f"\nSaving a sale — {args.db}, {len(customer_ids):,} customers, {orders:,} orders{since}")
    print(f"{'':22}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for label, key in (("sale form (view)", "form"), ("floor (bare INSERTs)", "floor")):
        s = result[key]
        print(f"{label:22}{s['p50_ms']:>10.2f}{s['p95_ms']:>10.2f}{s['max_ms']:>10.2f}")
    print(f"form p95 / floor p95: {ratio:.1f}×; target p95 < {P95_TARGET_MS:.0f} ms: "
          f"{'OK' if ok else 'MISSED'}")  # fmt: skip
    if refused:
        print("refused:", refused[:3])
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"sale_{args.db}.json").write_text(json.dumps(result, indent=2))
    return ok


if __name__ == "__main__":
    main()
