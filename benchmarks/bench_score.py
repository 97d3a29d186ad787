"""Customer value: ``kehu score`` end to end, and the value pages over HTTP.

    python benchmarks/bench_score.py --db sqlite|postgres [--customers 1000000]
                                     [--orders-per-customer 10] [--requests 20]

N customers (``benchmarks/bulk.py``) with about 10 orders each over two years, written
with bare inserts like the lifecycle benchmark's ``load_orders``, but with churn: each
customer buys at its own pace until an exponential lifetime ends (the lifecycle
benchmark's customers never stop buying, so BG/NBD's dropout parameters run off to
infinity and the fit rightly reports no convergence). Then:

1. ``kehu score`` (as of today): time and peak memory (``ru_maxrss``);
2. the value dashboard and the at-risk list over HTTP with the test client, as the admin
   (every customer) and as one salesperson (own customers and the pool): p50/p95.

Prints a table and writes benchmarks/results/score_<db>.json. Targets (issue 8, at 1M
customers / 10M orders on SQLite): score < 3 minutes and < 3 GiB; pages p95 < 500 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.bench_lifecycle import peak_mb
from benchmarks.harness import RESULTS, bench_database, percentile, run_measured
from benchmarks.orders_load import orders_write, population_load

SCORE_TARGET_S = 180.0
MEMORY_TARGET_MB = 3072.0
PAGE_TARGET_MS = 500.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders-per-customer", type=float, default=10.0)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with bench_database(args.db, pg_options=("-c shared_buffers=512MB", "-c max_wal_size=4GB")):
        ok = run(args)
    sys.exit(0 if ok else 1)


def load_orders(args: argparse.Namespace, customer_ids: list[int]) -> int:
    """About ``orders-per-customer`` orders per customer over two years, with churn:
    each customer stops buying after a lifetime of its own (bench_lifecycle's never
    stop, which BG/NBD rightly cannot fit)."""
    from django.utils import timezone

    rng = random.Random(args.seed)
    now = timezone.now()
    start = now - dt.timedelta(days=730)
    mean_gap = 730 / max(args.orders_per_customer, 1.0)

    def purchases() -> Iterator[tuple[int, dt.datetime, int]]:
        for customer_id in customer_ids:
            arrival = rng.random() * 600
            at = start + dt.timedelta(days=arrival)
            gap = mean_gap * rng.gammavariate(2.0, 0.35)
            end = at + dt.timedelta(days=rng.expovariate(1 / 500))
            spend = rng.randint(500, 50_000)
            while at <= now and at <= end:
                yield customer_id, at, max(100, int(rng.gauss(spend, spend / 4)))
                at += dt.timedelta(days=rng.expovariate(1 / gap))

    return orders_write(purchases(), seed=args.seed)


def _pages(args: argparse.Namespace, user: object, names: tuple[str, ...]) -> dict[str, float]:
    from django.test import Client

    client = Client()
    client.force_login(user)
    out: dict[str, float] = {}
    for name, url in (("dashboard", "/value/"), ("at_risk", "/value/at-risk/")):
        if name not in names:
            continue
        client.get(url)  # warm up
        times = []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        out[f"{name}_p50_ms"] = round(percentile(times, 0.5), 1)
        out[f"{name}_p95_ms"] = round(percentile(times, 0.95), 1)
    return out


def run(args: argparse.Namespace) -> bool:
    import django

    django.setup()
    from django.db import connection

    from kehu.accounts.models import Role, User
    from kehu.value.models import ScoreRun

    _customer_ids, orders = population_load(args, load_orders)

    # `kehu score` in a process of its own: its time and its own peak memory.
    memory_before = peak_mb()
    score_s, memory_peak = run_measured(
        [sys.executable, "-m", "kehu.cli", "score", "--no-progress"], env=os.environ.copy()
    )
    run_row = ScoreRun.objects.order_by("-id").first()
    if run_row is not None and run_row.status != "succeeded":
        print(f"[{args.db}] fit detail: {run_row.detail}", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    admin = User.objects.get(username="admin")
    sales = User.objects.filter(role=Role.SALES, is_active=True).order_by("pk").first()
    pages = {f"admin_{k}": v for k, v in _pages(args, admin, ("dashboard", "at_risk")).items()}
    if sales is not None:
        pages.update({f"sales_{k}": v for k, v in _pages(args, sales, ("at_risk",)).items()})

    result = {
        "db": args.db,
        "customers": args.customers,
        "orders": orders,
        "status": run_row.status if run_row else None,
        "scored_customers": run_row.customers if run_row else 0,
        "score_s": round(score_s, 2),
        "peak_rss_mb": round(memory_peak, 1),
        "bench_process_peak_rss_mb": round(memory_before, 1),
        **pages,
    }
    print()
    print(f"{'measure':<34}{'value':>14}")
    for key, value in result.items():
        print(f"{key:<34}{value!s:>14}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"score_{args.db}.json").write_text(json.dumps(result, indent=2) + "\n")
    ok = result["status"] == "succeeded"
    if args.customers >= 1_000_000:
        worst = max(v for k, v in pages.items() if k.endswith("_p95_ms"))
        ok = ok and score_s < SCORE_TARGET_S and memory_peak < MEMORY_TARGET_MB
        ok = ok and worst < PAGE_TARGET_MS
    return ok


if __name__ == "__main__":
    main()
