"""The customer timeline with 5,000 events on one database.

    python benchmarks/bench_timeline.py --db sqlite|postgres [--events 5000] [--others 20000]

One customer gets ``--events`` events spread over every registered kind (interactions,
follow-up tasks, field changes, owner changes, and orders/refunds when the orders app
provides them); ``--others`` customers get a few events each so the indexes hold real
data. Measured side by side: a bare primary-key lookup, the first timeline page
(selector), the first page over HTTP (the htmx partial) with its query count, and a
deep page (the 50th). Target (issue 5): first page < 100 ms, queries bounded.
Writes benchmarks/results/timeline_<db>.json.
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--others", type=int, default=20000)
    args = parser.parse_args()
    with bench_database(args.db, pg_options=()):
        ok = run(args)
    sys.exit(0 if ok else 1)


def _fill(
    customer_ids: list[int], per_customer: dict[int, int], users: list, now: dt.datetime
) -> None:
    """Events for each customer, spread over the kinds, in bulk."""
    from kehu.customers.models import CustomerChange, OwnerChange
    from kehu.followups.models import Task
    from kehu.interactions.models import Interaction

    rng = random.Random(3)
    interactions, tasks, changes, owners = [], [], [], []
    for cid in customer_ids:
        n = per_customer[cid]
        for i in range(n):
            at = now - dt.timedelta(minutes=rng.randint(1, 2 * 365 * 24 * 60))
            user = rng.choice(users)
            bucket = i % 10
            if bucket < 5:
                interactions.append(
                    Interaction(
                        customer_id=cid,
                        kind=rng.choice(["call", "visit", "wechat", "email"]),
                        direction="outbound",
                        user=user,
                        occurred_at=at,
                        notes="电话沟通，客户有兴趣",
                    )
                )
            elif bucket < 7:
                tasks.append(
                    Task(
                        customer_id=cid,
                        assignee=user,
                        kind="call",
                        title="电话回访",
                        due_at=at,
                        status="done",
                        done_at=at,
                        result="已回访",
                    )
                )
            elif bucket < 9:
                changes.append(
                    CustomerChange(
                        customer_id=cid,
                        actor=user,
                        at=at,
                        action="update",
                        field="industry",
                        old_value="零售",
                        new_value="批发",
                    )
                )
            else:
                owners.append(
                    OwnerChange(customer_id=cid, kind="transfer", actor=user, to_user=user, at=at)
                )
    Interaction.objects.bulk_create(interactions, batch_size=5000)
    Task.objects.bulk_create(tasks, batch_size=5000)
    CustomerChange.objects.bulk_create(changes, batch_size=5000)
    OwnerChange.objects.bulk_create(owners, batch_size=5000)


def run(args: argparse.Namespace) -> bool:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from benchmarks.bulk import bulk_load
    from kehu.accounts.models import User
    from kehu.customers.models import Customer
    from kehu.customers.timeline import customer_timeline
    from kehu.demo.generate import demo_users

    call_command("migrate", verbosity=0)
    owners = demo_users()
    bulk_load(args.others + 1, seed=5, owners=owners, progress=False)
    sales = User.objects.get(username="east_s1")
    target = Customer.objects.order_by("id").first()
    assert target is not None
    Customer.objects.filter(pk=target.pk).update(owner=sales, team_id=sales.team_id)
    ids = list(Customer.objects.values_list("pk", flat=True))
    per = {cid: 3 for cid in ids}
    per[target.pk] = args.events
    started = time.perf_counter()
    _fill(ids, per, [u for u in owners if u.is_active], timezone.now())
    fill_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    total = sum(len(customer_timeline(target, limit=100).events) for _ in range(1))  # warm-up
    assert total > 0
    baseline = timed(lambda _i: Customer.objects.get(pk=target.pk), range(50))
    first = timed(lambda _i: customer_timeline(target, limit=20), range(50))
    cursor = None
    for _ in range(49):
        cursor = customer_timeline(target, cursor=cursor, limit=20).next_cursor
    deep = timed(lambda _i: customer_timeline(target, cursor=cursor, limit=20), range(50))
    client = Client()
    client.force_login(sales)
    url = f"/customers/{target.pk}/timeline/"
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    queries = len(ctx.captured_queries)
    http = timed(lambda _i: client.get(url), range(50))
    results = {
        "db": args.db,
        "events": args.events,
        "other_customers": args.others,
        "fill_seconds": fill_seconds,
        "baseline_pk_lookup": baseline,
        "first_page_selector": first,
        "page_50_selector": deep,
        "first_page_http": {**http, "queries": queries},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"timeline_{args.db}.json").write_text(json.dumps(results, indent=2))
    print(f"\nTimeline, one customer with {args.events:,} events on {args.db} (target < 100 ms)")
    print(f"{'case':28} {'p50 ms':>8} {'p95 ms':>8} {'×pk p95':>8}  ok")
    ok = True
    for label, s in (
        ("primary-key lookup", baseline),
        ("first page (selector)", first),
        ("50th page (selector)", deep),
        (f"first page (HTTP, {queries} queries)", http),
    ):
        good = s["p95_ms"] < 100
        ok &= good or label.startswith("primary")
        ratio = s["p95_ms"] / max(baseline["p95_ms"], 1e-6)
        print(
            f"{label:28} {s['p50_ms']:8.2f} {s['p95_ms']:8.2f} {ratio:8.0f}"
            f"  {'yes' if good else 'NO'}"
        )
    # Bounded: one query per registered source, plus the session, the user and the
    # customer — however long the history (the 50th page costs the same).
    from kehu.customers.timeline import timeline_kinds

    bound = len(timeline_kinds()) + 3
    print(f"queries per page: {queries} (bound: {bound} = sources + 3)")
    ok &= queries <= bound
    return ok


if __name__ == "__main__":
    main()
