"""Channels compared (渠道对比) and its funnel at 1,000,000 customers.

    python benchmarks/bench_channels.py --db sqlite|postgres [--customers 1000000]
                                        [--leads 100000] [--orders 3]

Loads ``--customers`` customers (``benchmarks/bulk.py``) spread over 24 months of
creation and six source channels, about ``--orders`` purchases each over the last two
years, and ``--leads`` leads (a fifth qualified, a tenth converted into one of the
customers), plus 2,000 customers and 1,000 leads created after the nightly pass (the
live path). Measured side by side in one run:

* the nightly pass (``channel_months_refresh``, the last 13 months), once;
* the floor: the same reads bare — one ``SUM … GROUP BY channel`` over the nightly
  rows of 12 months, and the customers created since with their first purchase
  grouped in SQL (without the leads since, the costs, campaign names);
* the comparison for the last 12 months (``channel_comparison``: nightly rows, the
  live records since, costs), by channel, by campaign and for one team;
* the page over HTTP (Django test client: the table, charts' data and funnel) and the
  API (``GET /api/v1/analytics/channels``).

Target (issue 20): the comparison and funnel under 500 ms (p95). Writes
benchmarks/results/channels_<db>.json; exits non-zero when the target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.harness import RESULTS, bench_database, timed

TARGET_MS = 500.0
CHANNELS = ("website", "referral", "search_ads", "event", "phone", "dealer")
MONTHS = 24


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--orders", type=float, default=3.0, help="purchases per customer")
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    with bench_database(args.db, pg_options=("-c shared_buffers=1GB",)):
        ok = run(args)
    sys.exit(0 if ok else 1)


def _spread_customers(now: dt.datetime) -> None:
    """Creation months and channels over the bulk-loaded customers, by id."""
    from django.db import connection

    from kehu.customers.models import Customer

    table = Customer._meta.db_table
    with connection.cursor() as cursor:
        cases = " ".join(f"WHEN {i} THEN '{c}'" for i, c in enumerate(CHANNELS))
        cursor.execute(f"UPDATE {table} SET source_channel = CASE id % {len(CHANNELS)} {cases} END")
        for month in range(MONTHS):
            cursor.execute(
                f"UPDATE {table} SET created_at = %s WHERE id % {MONTHS} = %s",
                [now - dt.timedelta(days=30 * month + 1), month],
            )


def _orders(customer_ids: list[int], per_customer: float, now: dt.datetime) -> int:
    from benchmarks.orders_load import orders_write

    rng = random.Random(5)

    def purchases():
        for cid in customer_ids:
            for _ in range(int(rng.expovariate(1 / per_customer))):
                yield cid, now - dt.timedelta(days=rng.uniform(0, 720)), rng.randint(1000, 90000)

    return orders_write(purchases(), seed=6)


def _leads(n: int, customer_ids: list[int], owners: list, now: dt.datetime) -> None:
    """Leads with their model's defaults (``rows_insert``): a fifth qualified, a tenth
    converted into one of the customers, half verified."""
    from kehu.core.sql import rows_insert
    from kehu.leads.models import Lead

    rng = random.Random(7)
    converted = iter(rng.sample(customer_ids, min(len(customer_ids), n // 10)))
    rows = []
    for i in range(n):
        at = now - dt.timedelta(days=rng.uniform(0, 30 * MONTHS))
        owner = rng.choice(owners)
        roll = rng.random()
        customer = next(converted, None) if roll < 0.1 else None
        rows.append(
            {
                "name": f"线索{i}",
                "phone": f"+86139{i:08d}",
                "source_channel": rng.choice(CHANNELS),
                "status": "converted" if customer else ("qualified" if roll < 0.2 else "new"),
                "owner_id": owner.pk,
                "team_id": owner.team_id,
                "created_at": at,
                "updated_at": at,
                "verified_at": at if roll < 0.5 else None,
                "qualified_at": at if roll < 0.2 else None,
                "customer_id": customer,
                "converted_at": at if customer else None,
            }
        )
        if len(rows) >= 5000:
            rows_insert(Lead, rows)
            rows = []
    rows_insert(Lead, rows)


def run(args: argparse.Namespace) -> bool:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from tests.factories import make_customer

    from benchmarks.bulk import bulk_load
    from kehu.accounts.models import User
    from kehu.channels.models import ChannelMonth
    from kehu.channels.selectors import BY_CAMPAIGN, Span, channel_comparison
    from kehu.channels.summaries import channel_months_refresh, months_back
    from kehu.customers.models import Customer
    from kehu.demo.generate import demo_users
    from kehu.orders.models import Order

    call_command("migrate", verbosity=0)
    owners = demo_users()
    now = timezone.now()
    print(f"[{args.db}] loading {args.customers:,} customers…", flush=True)
    started = time.perf_counter()
    bulk_load(args.customers, seed=1, owners=owners, progress=False)
    _spread_customers(now)
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    orders = _orders(ids, args.orders, now)
    _leads(args.leads, ids, owners, now)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(
        f"[{args.db}] {len(ids):,} customers, {orders:,} orders, {args.leads:,} leads "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    started = time.perf_counter()
    summary = channel_months_refresh()
    nightly = time.perf_counter() - started
    admin = User.objects.get(username="admin")
    seller = owners[0]
    for i in range(2000):  # created since the pass: counted live
        make_customer(seller, name=f"新客{i}", source_channel=CHANNELS[i % len(CHANNELS)])
    end = timezone.localdate().replace(day=1)
    span = Span(start=months_back(end, 12), end=end)
    table = ChannelMonth._meta.db_table

    customers, orders_table = Customer._meta.db_table, Order._meta.db_table

    def floor(_: object) -> None:
        """The same reads, bare: the nightly rows summed, and the customers created
        since with their first purchase, grouped in SQL."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT channel, SUM(customers), SUM(leads), SUM(first_order_revenue) "
                f"FROM {table} WHERE month >= %s AND month <= %s GROUP BY channel",
                [span.start, span.end],
            )
            cursor.fetchall()
            cursor.execute(
                f"SELECT c.source_channel, COUNT(*), SUM((SELECT o.total FROM {orders_table} o "
                f"WHERE o.customer_id = c.id AND o.status IN ('paid', 'partially_refunded') "
                f"ORDER BY o.ordered_at, o.id LIMIT 1)) FROM {customers} c "
                f"WHERE c.id > %s GROUP BY c.source_channel",
                [summary.last_customer_id],
            )
            cursor.fetchall()

    client = Client()
    client.force_login(admin)
    client.get("/channels/")  # templates compiled, as in a served process
    samples = range(args.samples)
    figures = {
        "floor_sum": timed(floor, samples),
        "by_channel": timed(lambda _: channel_comparison(span), samples),
        "by_campaign": timed(
            lambda _: channel_comparison(Span(span.start, span.end, by=BY_CAMPAIGN)), samples
        ),
        "one_team": timed(
            lambda _: channel_comparison(Span(span.start, span.end, team_id=seller.team_id)),
            samples,
        ),
        "page": timed(lambda _: client.get("/channels/"), samples),
        "api": timed(lambda _: client.get("/api/v1/analytics/channels"), samples),
    }
    assert client.get("/channels/").status_code == 200
    floor_p95 = figures["floor_sum"]["p95_ms"]
    result = {
        "db": args.db,
        "customers": len(ids),
        "orders": orders,
        "leads": args.leads,
        "nightly_seconds": round(nightly, 2),
        "nightly_rows": summary.rows,
        "live_customers": 2000,
        **{k: {kk: round(vv, 2) for kk, vv in v.items()} for k, v in figures.items()},
        "comparison_vs_floor": round(figures["by_channel"]["p95_ms"] / floor_p95, 1)
        if floor_p95
        else None,
    }
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"channels_{args.db}.json").write_text(json.dumps(result, indent=2))
    worst = max(
        figures[k]["p95_ms"] for k in ("by_channel", "by_campaign", "one_team", "page", "api")
    )
    ok = worst < TARGET_MS
    verdict = "ok" if ok else "missed"
    print(f"[{args.db}] worst p95 {worst:.0f} ms (target < {TARGET_MS:.0f} ms): {verdict}")
    return ok


if __name__ == "__main__":
    main()
