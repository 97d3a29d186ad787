"""Search and the customer list page at N customers (default 1,000,000) on one database.

    python benchmarks/bench_search.py --db sqlite|postgres [--customers N]

Prints a table and writes benchmarks/results/search_<db>.json and list_<db>.json.
Targets (issue 3): search p95 < 50 ms against a bare primary-key lookup measured in
the same run; list page (first page, one filter) < 150 ms with bounded queries.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.harness import RESULTS, bench_database, percentile, timed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()

    with bench_database(args.db, pg_options=("-c shared_buffers=1GB", "-c max_wal_size=8GB")):
        run(args)


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from benchmarks.bulk import bulk_load
    from kehu.accounts.models import User
    from kehu.customers.models import Customer, CustomerPhone
    from kehu.customers.selectors import CustomerFilters, customer_list
    from kehu.demo.generate import demo_users

    call_command("migrate", verbosity=0)
    owners = demo_users()
    print(f"[{args.db}] loading {args.customers:,} customers…", flush=True)
    load = bulk_load(args.customers, seed=1, owners=owners)
    admin = User.objects.get(username="admin")
    sales = User.objects.get(username="east_s1")
    rng = random.Random(7)
    max_id = Customer.objects.order_by("-id").values_list("id", flat=True).first() or 1
    picks = [rng.randint(1, max_id) for _ in range(args.queries)]
    sample = list(
        Customer.objects.filter(pk__in=picks).values("pk", "name", "kind", "name_pinyin", "city")
    )
    people = [c for c in sample if c["kind"] == "person"]
    companies = [c for c in sample if c["kind"] == "company"]
    phones = list(
        CustomerPhone.objects.filter(customer_id__in=picks).values_list("number", flat=True)
    )

    def initials(c):  # type: ignore[no-untyped-def]
        return "".join(w[0] for w in c["name_pinyin"].split())

    queries = {
        "pinyin initials": [initials(c) for c in people],
        "full pinyin": [c["name_pinyin"].replace(" ", "") for c in people],
        "phone last 4": [p[-4:] for p in phones],
        "phone last 6": [p[-6:] for p in phones],
        "full phone": [p[3:] for p in phones],
        "name 2 chars": [c["name"][-2:] for c in people if len(c["name"]) >= 2],
        "name 3 chars": [c["name"] for c in people if len(c["name"]) == 3],
        "surname (1 char)": [c["name"][0] for c in people],
        "company fragment": [c["name"][len(c["city"]) - 1 : len(c["city"]) + 3] for c in companies],
    }
    results: dict[str, object] = {
        "db": args.db,
        "customers": args.customers,
        "load": load,
        "search_token_rows": load["token_rows"],
    }
    baseline = timed(lambda pk: Customer.objects.get(pk=pk), picks)
    results["baseline_pk_lookup"] = baseline
    rows = []
    for who, user in (("admin", admin), ("sales", sales)):
        for kind, qs in queries.items():
            stats = timed(
                lambda q, u=user: customer_list(u, CustomerFilters(q=q), page_size=20), qs
            )
            stats["ratio_p95_to_pk"] = stats["p95_ms"] / max(baseline["p95_ms"], 1e-6)
            results[f"{who}: {kind}"] = stats
            rows.append((who, kind, stats))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"search_{args.db}.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False)
    )

    print(
        f"\nSearch, first page of 20, {args.customers:,} customers on {args.db}"
        " (target p95 < 50 ms)"
    )
    print(f"{'user':6} {'query':18} {'p50 ms':>8} {'p95 ms':>8} {'×pk p95':>8}  ok")
    print(f"{'-':6} {'primary-key lookup':18} {baseline['p50_ms']:8.2f} {baseline['p95_ms']:8.2f}")
    for who, kind, s in rows:
        print(
            f"{who:6} {kind:18} {s['p50_ms']:8.2f} {s['p95_ms']:8.2f} {s['ratio_p95_to_pk']:8.0f}"
            f"  {'yes' if s['p95_ms'] < 50 else 'NO'}"
        )

    client = Client()
    pages = {}
    for who, user in (("admin", admin), ("sales", sales)):
        client.force_login(user)
        for label, params in (
            ("province filter", {"province": "广东省"}),
            ("source filter", {"source": "website"}),
            ("no filter", {}),
        ):
            times, counts = [], []
            for _ in range(20):
                with CaptureQueriesContext(connection) as ctx:
                    start = time.perf_counter()
                    response = client.get("/customers/", params)
                    times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, response.status_code
                counts.append(len(ctx.captured_queries))
            pages[f"{who}: {label}"] = {
                "p50_ms": statistics.median(times),
                "p95_ms": percentile(times, 0.95),
                "queries": max(counts),
            }
    (RESULTS / f"list_{args.db}.json").write_text(json.dumps(pages, indent=2, ensure_ascii=False))
    print(
        f"\nCustomer list page, first page, {args.customers:,} customers on {args.db}"
        " (target < 150 ms)"
    )
    print(f"{'case':24} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}  ok")
    for label, s in pages.items():
        print(
            f"{label:24} {s['p50_ms']:8.1f} {s['p95_ms']:8.1f} {s['queries']:8d}"
            f"  {'yes' if s['p95_ms'] < 150 else 'NO'}"
        )


if __name__ == "__main__":
    main()
