"""Counting a segment at 1,000,000 customers / 10,000,000 orders, beside hand-written SQL.

    python benchmarks/bench_segments.py --db sqlite|postgres [--customers 1000000]
        [--orders-per 10] [--repeat 5]

Loads ``--customers`` customers (``bulk_load``) with about ``--orders-per`` orders each
over two years (bare inserts), places every customer in a stage of the default
lifecycle model, scores them (``score_run``) and refreshes the segments' stored order
facts (the nightly job's work, timed). Then counts a 5-condition segment — profile
(city), behaviour (orders, days since the last one), stage and star tier — through the
app (``selectors.members(...).count()``, the path of the segment page and the API),
beside a hand-written SQL count of the same condition (joins), and times the builder's
live preview (count capped at 100,000 + a sample of 20). Both counts must agree.
Targets (issue 20): count < 1 s and ≤ 3× the hand-written SQL; preview < 500 ms.
Writes benchmarks/results/segments_<db>.json.
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

TARGET_COUNT_MS = 1000
TARGET_RATIO = 3.0
TARGET_PREVIEW_MS = 500


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders-per", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with bench_database(args.db):
        ok = run(args)
    sys.exit(0 if ok else 1)


def _purchases(args: argparse.Namespace, customer_ids: list[int]):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    rng = random.Random(5)
    now = timezone.now()
    span = 730 * 86_400
    for cid in customer_ids:
        for _i in range(rng.randint(0, 2 * args.orders_per)):
            at = now - dt.timedelta(seconds=rng.randrange(span))
            yield cid, at, rng.randint(2_000, 80_000)


def _stages(customer_ids: list[int]) -> tuple[str, str]:
    """Every customer in one stage of the default model; the model's key and the stage
    most customers are in."""
    from django.utils import timezone

    from kehu.core.bulk import bulk_insert
    from kehu.core.sql import datetime_adapter
    from kehu.lifecycle.models import CustomerStage, LifecycleModel, StageChange

    CustomerStage.objects.all().delete()
    StageChange.objects.all().delete()
    model = LifecycleModel.objects.get(is_default=True)
    stages = list(model.stages.order_by("position"))
    rng = random.Random(3)
    adapt = datetime_adapter()
    now = timezone.now()
    weights = [3 if i == 2 else 1 for i in range(len(stages))]
    rows = []
    for cid in customer_ids:
        stage = rng.choices(stages, weights)[0]
        rows.append((cid, model.pk, stage.pk, adapt(now - dt.timedelta(days=rng.randint(0, 400)))))
        if len(rows) >= 100_000:
            bulk_insert(
                CustomerStage._meta.db_table, ["customer_id", "model_id", "stage_id", "since"], rows
            )
            rows = []
    bulk_insert(
        CustomerStage._meta.db_table, ["customer_id", "model_id", "stage_id", "since"], rows
    )
    return model.key, stages[min(2, len(stages) - 1)].key


def run(args: argparse.Namespace) -> bool:
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from benchmarks.orders_load import orders_write, population_load
    from kehu.accounts.models import User
    from kehu.core.sql import datetime_adapter
    from kehu.customers.models import Customer
    from kehu.segments.audience import context_for
    from kehu.segments.models import CustomerFacts, Segment
    from kehu.segments.refresh import facts_refresh
    from kehu.segments.selectors import members, rule_preview
    from kehu.value.models import CustomerValue
    from kehu.value.services import score_run

    def load(a: argparse.Namespace, ids: list[int]) -> int:
        return orders_write(_purchases(a, ids), seed=5)

    started = time.perf_counter()
    customer_ids, orders = population_load(args, load)
    model_key, stage_key = _stages(customer_ids)
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    run_ = score_run(as_of=timezone.localdate())
    score_seconds = time.perf_counter() - started
    started = time.perf_counter()
    refreshed = facts_refresh()
    refresh_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    city = (
        Customer.objects.exclude(city="")
        .values("city")
        .order_by()
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("city", flat=True)
        .first()
    )  # the commonest city
    rule = {
        "all": [
            {"fact": "city", "op": "is", "value": city},
            {"fact": "orders_count", "op": ">=", "value": 3},
            {"fact": "days_since_last_order", "op": "<=", "value": 180},
            {"fact": "stage", "model": model_key, "op": "is", "value": stage_key},
            {"fact": "tier", "op": ">=", "value": 2},
        ]
    }
    admin = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        "bench_admin", password="x", role="admin"
    )
    segment = Segment.objects.create(name="bench", rule=rule, sharing="shared", owner=admin)
    context = context_for(rule)
    quote = connection.ops.quote_name
    hand_sql = (
        f"SELECT COUNT(*) FROM {quote(Customer._meta.db_table)} c "
        f"JOIN {quote(CustomerFacts._meta.db_table)} f ON f.customer_id = c.id "
        f"JOIN lifecycle_customerstage s ON s.customer_id = c.id AND s.model_id = %s "
        f"JOIN {quote(CustomerValue._meta.db_table)} v ON v.customer_id = c.id AND v.run_id = %s "
        "WHERE c.deleted_at IS NULL AND c.city = %s AND f.orders_count >= 3 "
        "AND f.last_order_at >= %s AND s.stage_id = %s AND v.tier >= 2"
    )
    cut = datetime_adapter()(context.now - dt.timedelta(days=181))
    hand_params = [
        context.models[model_key],
        run_.pk,
        city,
        cut,
        context.stages[(model_key, stage_key)],
    ]

    def hand(_i: int) -> int:
        with connection.cursor() as cursor:
            cursor.execute(hand_sql, hand_params)
            return int(cursor.fetchone()[0])

    def app(_i: int) -> int:
        return members(admin, segment).count()

    app_count, hand_count = app(0), hand(0)
    # "days since the last order ≤ 180" is last_order_at > now − 181 days; the hand
    # query's ≥ differs only for an order at that exact microsecond.
    counts = {"app": app_count, "hand_sql": hand_count}
    app_time = timed(app, range(args.repeat))
    hand_time = timed(hand, range(args.repeat))
    preview_time = timed(lambda _i: rule_preview(admin, rule), range(args.repeat))
    ratio = app_time["p50_ms"] / max(hand_time["p50_ms"], 0.001)
    ok = (
        app_count == hand_count
        and app_time["p50_ms"] < TARGET_COUNT_MS
        and ratio <= TARGET_RATIO
        and preview_time["p50_ms"] < TARGET_PREVIEW_MS
    )
    results = {
        "db": args.db,
        "customers": args.customers,
        "orders": orders,
        "rule": rule,
        "counts": counts,
        "load_seconds": load_seconds,
        "score_seconds": score_seconds,
        "facts_refresh_seconds": refresh_seconds,
        "facts_rows": refreshed,
        "count_app": app_time,
        "count_hand_sql": hand_time,
        "ratio": ratio,
        "preview": preview_time,
        "ok": ok,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"segments_{args.db}.json").write_text(json.dumps(results, indent=2))
    print(f"\nSegment count, {args.customers:,} customers / {orders:,} orders on {args.db}")
    print(
        f"load {load_seconds:.1f} s, scoring {score_seconds:.1f} s, "
        f"nightly facts refresh {refresh_seconds:.1f} s ({refreshed:,} rows)"
    )
    print(f"matching: app {app_count:,}, hand-written SQL {hand_count:,}")
    print(f"{'case':24} {'p50 ms':>8} {'p95 ms':>8}  target")
    for label, got, target in (
        ("count (app)", app_time, f"< {TARGET_COUNT_MS}"),
        ("count (hand-written)", hand_time, ""),
        ("preview (cap + 20)", preview_time, f"< {TARGET_PREVIEW_MS}"),
    ):
        print(f"{label:24} {got['p50_ms']:8.1f} {got['p95_ms']:8.1f}  {target}")
    verdict = "ok" if ok else "NOT MET"
    print(f"ratio app / hand-written: {ratio:.2f} (target ≤ {TARGET_RATIO}) {verdict}")
    return ok


if __name__ == "__main__":
    main()
