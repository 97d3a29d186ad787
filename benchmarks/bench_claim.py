"""Racing pool claims (抢客户): C salespeople claim the same M pool customers at once.

    python benchmarks/bench_claim.py --db postgres [--clients 8] [--customers 100]

Each client is a thread with its own database connection; all start together on a
barrier and try to claim every one of the M customers in their own shuffled order.
A single client claiming M fresh pool customers is the baseline, measured in the
same run. Prints a table and writes benchmarks/results/claim_<db>.json.

Checks (exit non-zero if any fails): no unexpected errors, exactly M wins in total,
every contested customer owned by exactly the client that won it, and exactly one
"claim" OwnerChange per customer.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.harness import RESULTS, bench_database, percentile

WARMUP = 10


@dataclass
class Client:
    """What one racing client did."""

    user: Any
    order: list[int]
    won: list[int] = field(default_factory=list)
    lost: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0


def claim_all(client: Client, barrier: threading.Barrier) -> None:
    """Claim every customer in ``client.order``; runs in its own thread."""
    from django.db import connection, connections
    from django.http import Http404

    from kehu.customers.ownership import OwnershipError, pool_claim

    try:
        connection.ensure_connection()  # connect before the start, not on the clock
        barrier.wait()
        client.started = time.perf_counter()
        for customer_id in client.order:
            start = time.perf_counter()
            try:
                pool_claim(actor=client.user, customer_id=customer_id)
                client.won.append(customer_id)
            except OwnershipError as exc:
                # Read it as in the pool, then lost the conditional update.
                client.lost[f"OwnershipError:{exc.details.get('reason', '?')}"] += 1
            except Http404:
                # Already claimed when read: a salesperson no longer sees it.
                client.lost["Http404:not_visible"] += 1
            except Exception as exc:
                client.errors.append(f"{customer_id}: {exc!r}")
            client.latencies_ms.append((time.perf_counter() - start) * 1000)
        client.finished = time.perf_counter()
    except threading.BrokenBarrierError as exc:
        client.errors.append(repr(exc))
    finally:
        connections.close_all()


def race(clients: list[Client]) -> float:
    """Run the clients together; returns the wall time from the common start."""
    barrier = threading.Barrier(len(clients))
    threads = [threading.Thread(target=claim_all, args=(c, barrier)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = [c for c in clients if c.finished]
    if not done:
        return 0.0
    return max(c.finished for c in done) - min(c.started for c in done)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with bench_database(args.db, pg_options=()):
        ok = run(args)
    sys.exit(0 if ok else 1)


def summary(clients: list[Client], seconds: float) -> dict[str, Any]:
    latencies = [x for c in clients for x in c.latencies_ms]
    lost: Counter[str] = Counter()
    for c in clients:
        lost.update(c.lost)
    attempts = len(latencies)
    wins = sum(len(c.won) for c in clients)
    return {
        "clients": len(clients),
        "attempts": attempts,
        "wins": wins,
        "lost": sum(lost.values()),
        "lost_by_reason": dict(lost),
        "errors": [e for c in clients for e in c.errors],
        "seconds": seconds,
        "attempts_per_s": attempts / seconds if seconds else 0.0,
        "claims_per_s": wins / seconds if seconds else 0.0,
        "latency_p50_ms": statistics.median(latencies) if latencies else 0.0,
        "latency_p95_ms": percentile(latencies, 0.95) if latencies else 0.0,
        "wins_by_client": {c.user.username: len(c.won) for c in clients},
    }


def verify(ids: list[int], clients: list[Client]) -> dict[str, bool]:
    """The customers in ``ids`` each went to exactly one client, with one record."""
    from kehu.customers.models import Customer, OwnerChange, OwnerChangeKind

    winner: dict[int, list[int]] = {}
    for c in clients:
        for customer_id in c.won:
            winner.setdefault(customer_id, []).append(c.user.pk)
    owners = dict(Customer.objects.filter(pk__in=ids).values_list("pk", "owner_id"))
    claims = list(
        OwnerChange.objects.filter(customer_id__in=ids, kind=OwnerChangeKind.CLAIM).values_list(
            "customer_id", "to_user_id"
        )
    )
    records = Counter(customer_id for customer_id, _to in claims)
    to_user = dict(claims)
    return {
        "no unexpected errors": not any(c.errors for c in clients),
        f"exactly {len(ids)} wins in total": sum(len(c.won) for c in clients) == len(ids),
        "every customer won exactly once": all(len(winner.get(i, [])) == 1 for i in ids),
        "every customer has exactly one owner, the winner": all(
            owners.get(i) is not None and winner.get(i) == [owners[i]] for i in ids
        ),
        'exactly one "claim" OwnerChange per customer, to the owner': all(
            records[i] == 1 and to_user.get(i) == owners.get(i) for i in ids
        ),
    }


def run(args: argparse.Namespace) -> bool:
    import django

    django.setup()
    from django.core.management import call_command

    from kehu.accounts.models import Role
    from kehu.accounts.services import team_get_or_create, user_create
    from kehu.customers.ownership import pool_claim, pool_policy
    from kehu.customers.services import customer_create
    from kehu.demo.generate import Generator

    call_command("migrate", verbosity=0)
    admin, _password = user_create(username="admin", role=Role.ADMIN, display_name="管理员")
    team = team_get_or_create(name="销售一部")
    sales = [
        user_create(username=f"sales{i + 1}", role=Role.SALES, team=team)[0]
        for i in range(args.clients)
    ]
    policy = pool_policy()
    policy.cap_sales = max(policy.cap_sales, 10 * args.customers + 1000)
    policy.save()

    gen = Generator(args.seed)

    def pool_customer() -> int:
        place = gen.place()
        name, industry = gen.company_name(place)
        return customer_create(
            actor=admin,
            data={
                "kind": "company",
                "name": name,
                "industry": industry,
                "province": place.province,
                "city": place.city,
                "district": place.district,
            },
            phones=[gen.mobile()],
            owner=None,
            allow_duplicate=True,
        ).pk

    print(
        f"[{args.db}] {args.clients} sales, {args.customers} contested pool customers"
        f" + {args.customers} for the baseline…",
        flush=True,
    )
    warmup = [pool_customer() for _ in range(WARMUP)]
    contested = [pool_customer() for _ in range(args.customers)]
    fresh = [pool_customer() for _ in range(args.customers)]
    for customer_id in warmup:  # compiled queries and caches warm before any clock
        pool_claim(actor=admin, customer_id=customer_id)

    base = [Client(sales[0], list(fresh))]
    base_seconds = race(base)
    baseline = summary(base, base_seconds)
    baseline_checks = verify(fresh, base)

    rng = random.Random(args.seed)
    clients = []
    for user in sales:
        order = list(contested)
        rng.shuffle(order)
        clients.append(Client(user, order))
    seconds = race(clients)
    contest = summary(clients, seconds)
    checks = verify(contested, clients)
    ratio = {
        "attempts_per_s": contest["attempts_per_s"] / max(baseline["attempts_per_s"], 1e-9),
        "claims_per_s": contest["claims_per_s"] / max(baseline["claims_per_s"], 1e-9),
    }

    all_checks = {
        **{f"contested: {k}": v for k, v in checks.items()},
        **{f"baseline: {k}": v for k, v in baseline_checks.items()},
    }
    results = {
        "db": args.db,
        "clients": args.clients,
        "customers": args.customers,
        "baseline": baseline,
        "contested": contest,
        "ratio_contested_to_baseline": ratio,
        "checks": all_checks,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"claim_{args.db}.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False)
    )

    print(
        f"\nPool claims on {args.db}: {args.clients} clients racing for the same"
        f" {args.customers} customers, against one client claiming {args.customers}"
    )
    print(
        f"{'case':22} {'attempts':>8} {'wins':>5} {'lost':>5} {'seconds':>8}"
        f" {'attempts/s':>10} {'claims/s':>9} {'p50 ms':>7} {'p95 ms':>7}"
    )
    for label, s in (("1 client, fresh", baseline), (f"{args.clients} clients, same", contest)):
        print(
            f"{label:22} {s['attempts']:>8} {s['wins']:>5} {s['lost']:>5} {s['seconds']:>8.2f}"
            f" {s['attempts_per_s']:>10.0f} {s['claims_per_s']:>9.0f}"
            f" {s['latency_p50_ms']:>7.1f} {s['latency_p95_ms']:>7.1f}"
        )
    print(
        f"{'ratio (race / 1)':22} {'':>8} {'':>5} {'':>5} {'':>8}"
        f" {ratio['attempts_per_s']:>10.2f} {ratio['claims_per_s']:>9.2f}"
    )
    print(f"losses by reason: {contest['lost_by_reason']}")
    print(f"wins by client:   {contest['wins_by_client']}")
    for e in contest["errors"][:10] + baseline["errors"][:10]:
        print(f"  error: {e}")
    for label, ok in all_checks.items():
        print(f"{'ok ' if ok else 'FAILED '} {label}")
    return all(all_checks.values())


if __name__ == "__main__":
    main()
