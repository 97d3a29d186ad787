"""The lifecycle analytics page at 1,000,000 customers / 5,000,000 history rows.

    python benchmarks/bench_lifecycle_stats.py --db sqlite|postgres [--customers 1000000]
        [--changes 5000000] [--requests 10]

Generates ``--customers`` customers (``bulk_load``) and ``--changes`` StageChange rows
over the last two years in the default (six-phase) model — each customer a walk along
the stages with some exits and win-backs — plus the matching CustomerStage rows, all
with bare executemany / COPY. Runs the nightly summary job once (timed), then measures
the analytics page over HTTP as admin (the every-customer path, from the summaries),
and as one salesperson (own customers and the pool, live), with queries per page.
Target (issue 7): admin page < 500 ms. Writes benchmarks/results/lifecycle_stats_<db>.json.
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

TARGET_MS = 500


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=5_000_000)
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()
    with bench_database(args.db):
        ok = run(args)
    sys.exit(0 if ok else 1)


def _history(customers: list[int], n_changes: int, model_id: int, stages: list, now: dt.datetime):
    """StageChange rows (with ids) and CustomerStage rows: ~n_changes/len(customers) moves
    each, forward along the ordinary stages, sometimes to an exit stage and back."""
    from kehu.core.bulk import bulk_insert, next_id
    from kehu.lifecycle.models import CustomerStage, StageChange

    rng = random.Random(7)
    normal = [s.pk for s in stages if s.kind != "churned"]
    churned = [s.pk for s in stages if s.kind == "churned"] or normal[-1:]
    per = max(1, n_changes // max(1, len(customers)))
    change_id = next_id(StageChange)
    span = 730 * 86_400
    c_cols = [
        "id",
        "customer_id",
        "model_id",
        "from_stage_id",
        "to_stage_id",
        "at",
        "kind",
        "reason",
        "facts",
    ]
    s_cols = ["customer_id", "model_id", "stage_id", "since", "change_id"]
    changes: list[tuple] = []
    current: list[tuple] = []
    written = 0
    for cid in customers:
        k = max(1, min(2 * per - 1, int(rng.gauss(per, 1))))
        times = sorted(rng.randrange(span) for _ in range(k))
        before, index = None, 0
        for j, offset in enumerate(times):
            if j == 0:
                to = normal[0]
            elif before in churned:
                to = normal[min(2, len(normal) - 1)]  # won back
            elif rng.random() < 0.15:
                to = rng.choice(churned)
            else:
                index = min(index + 1, len(normal) - 1)
                to = normal[index]
            at = now - dt.timedelta(seconds=span - offset)
            changes.append(
                (
                    change_id,
                    cid,
                    model_id,
                    before,
                    to,
                    at,
                    "initial" if j == 0 else "rule",
                    "",
                    "{}",
                )
            )
            before, last_at, last_id = to, at, change_id
            change_id += 1
        current.append((cid, model_id, before, last_at, last_id))
        if len(changes) >= 200_000:
            written += bulk_insert(StageChange._meta.db_table, c_cols, changes)
            bulk_insert(CustomerStage._meta.db_table, s_cols, current)
            changes, current = [], []
    written += bulk_insert(StageChange._meta.db_table, c_cols, changes)
    bulk_insert(CustomerStage._meta.db_table, s_cols, current)
    return written


def run(args: argparse.Namespace) -> bool:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from benchmarks.bulk import bulk_load
    from kehu.accounts.models import User
    from kehu.core.bulk import sequences_reset
    from kehu.customers.models import Customer
    from kehu.demo.generate import demo_users
    from kehu.lifecycle.analytics_jobs import analytics_refresh
    from kehu.lifecycle.models import CustomerStage, LifecycleModel, StageChange

    call_command("migrate", verbosity=0)
    owners = demo_users()
    started = time.perf_counter()
    bulk_load(args.customers, seed=11, owners=owners, progress=args.customers > 100_000)
    CustomerStage.objects.all().delete()  # nothing placed by hand: the benchmark's own history
    StageChange.objects.all().delete()
    model = LifecycleModel.objects.get(is_default=True)
    ids = list(Customer.objects.order_by("id").values_list("pk", flat=True))
    rows = _history(ids, args.changes, model.pk, list(model.stages.all()), timezone.now())
    sequences_reset(StageChange, CustomerStage)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    fill_seconds = time.perf_counter() - started
    started = time.perf_counter()
    analytics_refresh()
    job_seconds = time.perf_counter() - started

    admin = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        "bench_admin", password="x", role="admin"
    )
    sales = User.objects.get(username="east_s1")
    cases = {}
    for label, user, query in (
        ("admin, last 90 days", admin, ""),
        ("admin, last 2 years", admin, f"?start={timezone.localdate() - dt.timedelta(days=729)}"),
        ("sales (own + pool, live)", sales, ""),
    ):
        client = Client()
        client.force_login(user)
        url = "/lifecycle/analytics/" + query
        executed = []

        def count(execute, sql, params, many, context, seen=executed):  # type: ignore[no-untyped-def]
            seen.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            assert client.get(url).status_code == 200
        cases[label] = {
            **timed(lambda _i, c=client, u=url: c.get(u), range(args.requests)),
            "queries": len(executed),
        }
    results = {
        "db": args.db,
        "customers": args.customers,
        "history_rows": rows,
        "fill_seconds": fill_seconds,
        "summary_job_seconds": job_seconds,
        "pages": cases,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"lifecycle_stats_{args.db}.json").write_text(json.dumps(results, indent=2))
    print(
        f"\nLifecycle analytics page, {args.customers:,} customers / {rows:,} history rows"
        f" on {args.db}"
    )
    print(
        f"fill {fill_seconds:.1f} s, nightly summary job {job_seconds:.1f} s"
        f" (target page < {TARGET_MS} ms)"
    )
    print(f"{'case':30} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}  ok")
    ok = True
    for label, s in cases.items():
        good = s["p95_ms"] < TARGET_MS
        if label.startswith("admin"):
            ok &= good
        print(
            f"{label:30} {s['p50_ms']:8.1f} {s['p95_ms']:8.1f} {s['queries']:8d}"
            f"  {'yes' if good else 'NO'}"
        )
    return ok


if __name__ == "__main__":
    main()
