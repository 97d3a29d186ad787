"""Coupons: issuing to N customers in one call, and racing redemptions of one code.

    python benchmarks/bench_coupons.py --db postgres [--customers 20000] [--rounds 20]

1. ``coupon_issue`` to N customers at once (one template): seconds and coupons per
   second, and the per-customer issue of 200 coupons one call each beside it.
2. (PostgreSQL) ``--rounds`` times, 8 threads start together on a barrier and each
   redeems the same fresh code on an order of its own: exactly one may win a round.

Prints a table and writes benchmarks/results/coupons_<db>.json; exits non-zero when
a round has other than one winner, or an unexpected error.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.harness import RESULTS, bench_database, percentile

RACERS = 8


def race_round(actor: Any, code: str, orders: list[Any]) -> tuple[list[str], list[float]]:
    from django.core.exceptions import ValidationError
    from django.db import connection, connections

    from kehu.coupons.redemption import coupon_redeem

    barrier = threading.Barrier(len(orders))
    outcomes: list[str] = []
    latencies: list[float] = []

    def redeem(order: Any) -> None:
        try:
            connection.ensure_connection()
            barrier.wait()
            start = time.perf_counter()
            try:
                coupon_redeem(actor=actor, code=code, order=order)
                outcomes.append("won")
            except ValidationError:
                outcomes.append("lost")
            except Exception as exc:
                outcomes.append(f"error: {exc!r}")
            latencies.append((time.perf_counter() - start) * 1000)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=redeem, args=(o,)) for o in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes, latencies


def run(args: argparse.Namespace) -> bool:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from kehu.accounts.models import Role
    from kehu.accounts.services import user_create
    from kehu.coupons.models import CouponTemplate
    from kehu.coupons.services import coupon_issue
    from kehu.customers.models import Customer
    from kehu.orders.services import OrderData, order_upsert

    call_command("migrate", verbosity=0)
    admin, _password = user_create(username="admin", role=Role.ADMIN, display_name="管理员")
    Customer.objects.bulk_create(
        [Customer(name=f"客户{i}") for i in range(args.customers)], batch_size=5000
    )
    ids = list(Customer.objects.values_list("pk", flat=True))
    with connection.cursor() as cursor:  # statistics, as a live database has them
        cursor.execute("ANALYZE")
    template = CouponTemplate.objects.create(
        name="满100减20", value=Decimal("20"), threshold=Decimal("0"), valid_days=30
    )
    start = time.perf_counter()
    issued = coupon_issue(actor=admin, template=template, customer_ids=ids, source="segment")
    bulk_s = time.perf_counter() - start
    single = CouponTemplate.objects.create(name="单张", value=Decimal("5"), valid_days=30)
    start = time.perf_counter()
    for pk in ids[:200]:
        coupon_issue(actor=admin, template=single, customer_ids=[pk], source="hand")
    single_ms = (time.perf_counter() - start) * 1000 / 200
    result: dict[str, Any] = {
        "db": args.db,
        "customers": len(ids),
        "issued": len(issued),
        "bulk_seconds": bulk_s,
        "bulk_coupons_per_s": len(issued) / bulk_s,
        "one_at_a_time_ms_per_coupon": single_ms,
        "bulk_vs_one_at_a_time": (single_ms / 1000) / (bulk_s / len(issued)),
    }
    ok = len(issued) == len(ids)
    if args.db == "postgres":
        racer = CouponTemplate.objects.create(
            name="抢券", value=Decimal("10"), valid_days=30, per_customer_limit=0
        )
        customer_id = ids[0]
        winners, errors, latencies = [], [], []
        for round_ in range(args.rounds):
            [coupon] = coupon_issue(
                actor=admin, template=racer, customer_ids=[customer_id], source="hand"
            )
            orders = [
                order_upsert(
                    actor=admin,
                    data=OrderData(
                        source="bench",
                        external_id=f"R{round_}-{i}",
                        ordered_at=timezone.now(),
                        customer_id=customer_id,
                        total=Decimal("100.00"),
                    ),
                )[0]
                for i in range(RACERS)
            ]
            outcomes, times = race_round(admin, coupon.code, orders)
            winners.append(outcomes.count("won"))
            errors += [o for o in outcomes if o.startswith("error")]
            latencies += times
        result.update(
            rounds=args.rounds,
            racers=RACERS,
            winners_per_round=sorted(set(winners)),
            errors=errors,
            redeem_p50_ms=statistics.median(latencies),
            redeem_p95_ms=percentile(latencies, 0.95),
        )
        ok = ok and set(winners) == {1} and not errors
    print(f"coupons ({args.db})")
    for key, value in result.items():
        shown = f"{value:,.2f}" if isinstance(value, float) else value
        print(f"  {key:<30} {shown}")
    print("  OK" if ok else "  FAILED")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"coupons_{args.db}.json").write_text(json.dumps(result, indent=2))
    return ok


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with bench_database(args.db):
        ok = run(args)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
