"""Loyalty: the cost of earning points on the order ingestion, and a member's read.

    python benchmarks/bench_loyalty.py --db sqlite|postgres [--orders 20000] [--batch 500]
        [--members 20000] [--entries 30] [--reads 2000]

(a) N orders (1–3 lines) are pushed to ``/api/v1/orders/batch`` (``orders_ingest``)
    in batches of B with a Bearer token, as bench_orders.py pushes them, each batch its
    own transaction, alternating batch by batch between loyalty off (its
    ``order_recorded`` handler unsubscribed) and on, in the same run: the median
    batch's rate with loyalty on must be at least 70 % of the rate without (the totals'
    ratio is printed beside it).
(b) M members with E ledger entries each (full scale: 1,000,000 and 30) are written
    with bulk inserts, then R random members' balance and level are read
    (``member_standing``: the member row and its level by key, never a sum of the
    ledger): p95 under 5 ms.

Part (a) runs in the steady state: every customer is a member already (the programme
has been running), as bench_orders runs with every customer's stages placed.

Prints a table and writes benchmarks/results/loyalty_<db>.json; exits non-zero when a
target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.harness import RESULTS, bench_database, percentile

EARN_TARGET = 0.70
READ_TARGET_MS = 5.0
CHANNELS = ["online_shop", "store", "sales_rep", "phone", "wechat", "dealer", "other"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--entries", type=int, default=30, help="ledger entries per member")
    parser.add_argument("--reads", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with bench_database(args.db, pg_options=("-c shared_buffers=512MB", "-c max_wal_size=4GB")):
        ok = run(args)
    sys.exit(0 if ok else 1)


def _orders(args: argparse.Namespace, customers: list[int], products: list[int]) -> list[Any]:
    """Order payloads as a shop system pushes them to /api/v1/orders/batch."""
    rng = random.Random(args.seed)
    start = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return [
        {
            "source": "shop",
            "external_id": f"SO{i:08d}",
            "ordered_at": (start + dt.timedelta(minutes=3 * i)).isoformat(),
            "customer_id": rng.choice(customers),
            "channel": rng.choice(CHANNELS),
            "status": "cancelled" if rng.random() < 0.03 else "paid",
            "lines": [
                {"quantity": str(rng.randint(1, 5)), "product_id": rng.choice(products)}
                for _ in range(rng.choice((1, 1, 2, 2, 3)))
            ],
        }
        for i in range(args.orders)
    ]


def run(args: argparse.Namespace) -> bool:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from benchmarks.bulk import bulk_load
    from kehu.accounts.models import User
    from kehu.accounts.services import token_create
    from kehu.core.events import subscribe_many, unsubscribe
    from kehu.customers.models import Customer
    from kehu.demo.generate import demo_users
    from kehu.loyalty import earning
    from kehu.loyalty.models import EarnRule, PointEntry
    from kehu.orders.models import Product

    call_command("migrate", verbosity=0)
    owners = demo_users()
    total = max(args.customers, args.members)
    print(f"[{args.db}] loading {total:,} customers…", flush=True)
    bulk_load(total, seed=1, owners=owners, progress=False)
    # Orders go to the first ones; every customer becomes a member in part (b).
    customers = list(Customer.objects.order_by("pk").values_list("pk", flat=True))[: args.customers]
    rng = random.Random(args.seed)
    Product.objects.bulk_create(
        Product(
            name=f"产品{i}",
            sku=f"SKU-{i:05d}",
            category=f"类别{i % 12}",
            price=Decimal(rng.randint(500, 50_000)) / 100,
        )
        for i in range(args.products)
    )
    products = list(Product.objects.values_list("pk", flat=True))
    # The steady state: the programme has been running, every customer is a member.
    from django.db import transaction
    from django.utils import timezone

    from kehu.loyalty.ledger import members_ensure

    with transaction.atomic():
        members_ensure(customers, timezone.now())
    # A realistic programme: 1 point per ¥1, a category, a channel and a birthday rule.
    EarnRule.objects.create(name="类别0 双倍", kind="category", category="类别0", multiplier=2)
    EarnRule.objects.create(name="门店 1.5 倍", kind="channel", channel="store", multiplier=1.5)
    EarnRule.objects.create(name="生日月", kind="birthday", birthday_scope="month", multiplier=2)
    admin = User.objects.get(username="admin")
    orders = _orders(args, customers, products)
    bodies = [
        json.dumps({"orders": orders[i : i + args.batch]}).encode()
        for i in range(0, len(orders), args.batch)
    ]
    del orders
    _token, raw = token_create(user=admin, name="bench")
    import kehu.wsgi  # noqa: F401  (start as a served process does)

    client = Client(HTTP_HOST="localhost")
    headers = {"Authorization": f"Bearer {raw}"}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    # What start-up leaves to the first request, done before the clock starts.
    empty = json.dumps({"orders": []})
    response = client.post(
        "/api/v1/orders/batch", empty, content_type="application/json", headers=headers
    )
    assert response.status_code == 200, response.content[:300]

    # --- (a) earning on the ingestion, on and off alternately ----------------------
    print(f"[{args.db}] ingesting {args.orders:,} orders, loyalty off/on alternately…")
    seconds = {"off": 0.0, "on": 0.0}
    counts = {"off": 0, "on": 0}
    per_batch: dict[str, list[float]] = {"off": [], "on": []}
    for number, body in enumerate(bodies):
        mode = "on" if number % 2 else "off"
        if mode == "off":
            unsubscribe("order_recorded", "loyalty")
        else:
            subscribe_many("order_recorded", "loyalty", earning.orders_earn_event)
        begin = time.perf_counter()
        response = client.post(
            "/api/v1/orders/batch", body, content_type="application/json", headers=headers
        )
        took = time.perf_counter() - begin
        assert response.status_code == 200, response.content[:300]
        results = response.json()["results"]
        assert not [r for r in results if "error" in r], results[:3]
        seconds[mode] += took
        counts[mode] += len(results)
        per_batch[mode].append(took / len(results))
    subscribe_many("order_recorded", "loyalty", earning.orders_earn_event)
    rate = {mode: counts[mode] / seconds[mode] for mode in seconds}
    ratio_total = rate["on"] / rate["off"]
    # The median batch of each mode: the machine's other work (a shared CI box) lands
    # on a few batches of either mode and moves the totals far more than loyalty does.
    median = {mode: statistics.median(per_batch[mode]) for mode in per_batch}
    ratio = median["off"] / median["on"]
    earned = PointEntry.objects.count()
    print(f"orders/s off {rate['off']:,.0f}, on {rate['on']:,.0f}: {ratio_total:.1%}", flush=True)

    # --- (b) a member's balance and level at scale -----------------------------------
    read = member_reads(args)

    rows = [
        ("orders/s, loyalty off", f"{rate['off']:,.0f}"),
        ("orders/s, loyalty on", f"{rate['on']:,.0f}"),
        ("ratio on/off, totals", f"{ratio_total:.1%}"),
        ("ratio on/off, median batch", f"{ratio:.1%}  (target ≥ {EARN_TARGET:.0%})"),
        ("earn entries written", f"{earned:,}"),
        ("members / ledger entries", f"{read['members']:,} / {read['entries']:,}"),
        ("balance+level read p50 ms", f"{read['p50_ms']:.2f}"),
        ("balance+level read p95 ms", f"{read['p95_ms']:.2f}  (target < {READ_TARGET_MS})"),
    ]
    width = max(len(label) for label, _v in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    ok = ratio >= EARN_TARGET and read["p95_ms"] < READ_TARGET_MS
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "db": args.db,
        "orders": args.orders,
        "batch": args.batch,
        "rate_off": rate["off"],
        "rate_on": rate["on"],
        "ratio": ratio,
        "ratio_total": ratio_total,
        **read,
        "ok": ok,
    }
    (RESULTS / f"loyalty_{args.db}.json").write_text(json.dumps(result, indent=2))
    return ok


def member_reads(args: argparse.Namespace) -> dict[str, Any]:
    """Bulk-write members and their ledger, then time the card's read."""
    from django.db import connection, transaction
    from django.utils import timezone

    from kehu.core.sql import datetime_adapter, values_insert
    from kehu.customers.models import Customer
    from kehu.loyalty.ledger import referral_code_new
    from kehu.loyalty.models import Member, PointEntry
    from kehu.loyalty.selectors import member_standing

    have = Member.objects.count()
    ids = list(
        Customer.objects.exclude(member__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)[: max(args.members - have, 0)]
    )
    now = timezone.now()
    at = datetime_adapter()(now)
    print(f"[{args.db}] writing {len(ids):,} members × {args.entries} entries…", flush=True)
    rng = random.Random(args.seed)
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        with transaction.atomic():
            values_insert(
                Member,
                (
                    "customer_id",
                    "balance",
                    "owed",
                    "points_12m",
                    "spend_12m",
                    "earned_total",
                    "referral_code",
                    "joined_at",
                    "updated_at",
                ),
                [
                    (
                        pk,
                        10 * args.entries,
                        0,
                        10 * args.entries,
                        Decimal("100.00"),
                        0,
                        referral_code_new() + f"{pk % 10000:04d}"[:4],
                        at,
                        at,
                    )
                    for pk in chunk
                ],
            )
            values_insert(
                PointEntry,
                (
                    "customer_id",
                    "amount",
                    "kind",
                    "reason",
                    "redeemed_kind",
                    "redeemed_ref",
                    "at",
                    "remaining",
                    "spend",
                ),
                [
                    (pk, 10, "grant", "bench", "", "", at, 10, Decimal("0.00"))
                    for pk in chunk
                    for _ in range(args.entries)
                ],
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    all_members = list(Member.objects.values_list("customer_id", flat=True))
    sample = [rng.choice(all_members) for _ in range(args.reads)]
    rounds: list[list[float]] = []
    for _round in range(5):
        times = []
        for pk in sample:
            begin = time.perf_counter()
            standing = member_standing(pk)
            _ = (standing.balance, standing.owed, standing.level)
            times.append((time.perf_counter() - begin) * 1000)
        rounds.append(times)
    # Five rounds over the same sample; the round with the median p95 is reported (one
    # round can catch the shared machine's other work).
    times = sorted(rounds, key=lambda r: percentile(r, 0.95))[len(rounds) // 2]
    return {
        "members": len(all_members),
        "entries": PointEntry.objects.count(),
        "p50_ms": percentile(times, 0.5),
        "p95_ms": percentile(times, 0.95),
    }


if __name__ == "__main__":
    main()
