"""The retention playbook report (挽留方案) at 1,000,000 customers.

    python benchmarks/bench_retention.py --db sqlite|postgres [--customers 1000000]
                                         [--share 0.5] [--playbooks 5]

Loads ``--customers`` customers (``benchmarks/bulk.py``), five playbooks with two steps
each, and a run for ``--share`` of the customers (a fifth by default; spread over the
playbooks, 10 % held out at random, outcomes saved / lost / stopped / open, values)
with the steps of the treated runs (the done ones priced by kind). Measured side by
side in one run:

* the floor: one bare ``GROUP BY playbook_id, held_out, outcome`` over the runs with
  ``COUNT`` and ``SUM(value_after)`` — what any report must read;
* the report over every playbook (``playbook_report(by="playbook")``), one playbook's
  by owner, by team and by churn reason (with cost and uplift);
* the report page over HTTP and ``GET /api/v1/playbooks/{id}/report``.

Target (issue 21): the playbook report under 500 ms (p95). Writes
benchmarks/results/retention_<db>.json; exits non-zero when the target is missed.
Runs at small scale too (``--customers 20000``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.harness import RESULTS, bench_database, timed

TARGET_MS = 500.0
REASONS = ("rhythm_break", "quiet_90d", "complaints", "csat_low", "contact_lapsed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--share", type=float, default=0.2, help="customers with a run")
    parser.add_argument("--playbooks", type=int, default=5)
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    with bench_database(args.db, pg_options=("-c shared_buffers=1GB",)):
        ok = run(args)
    sys.exit(0 if ok else 1)


def _runs(
    playbooks: list, customers: list[tuple[int, int | None, int | None]], share: float
) -> int:
    """Runs (and the treated runs' steps) for ``share`` of ``customers``."""
    from django.utils import timezone

    from kehu.core.sql import rows_insert
    from kehu.retention.models import PlaybookRun, RunStep

    rng = random.Random(3)
    now = timezone.now()
    outcomes = ("saved", "lost", "lost", "stopped", "open")
    runs = []
    written = 0
    for customer_id, owner_id, team_id in customers:
        if rng.random() >= share:
            continue
        playbook = playbooks[customer_id % len(playbooks)]
        held = rng.random() < 0.10
        outcome = rng.choice(outcomes)
        if held and outcome == "saved" and rng.random() < 0.4:
            outcome = "lost"  # the hold-out saves fewer: an uplift to find
        started = now - dt.timedelta(days=rng.uniform(1, 365))
        value = Decimal(rng.randint(100, 20000))
        runs.append(
            {
                "playbook_id": playbook.pk,
                "customer_id": customer_id,
                "held_out": held,
                "started_at": started,
                "window_ends_at": started + dt.timedelta(days=60),
                "trigger": "churn_risk",
                "owner_id": owner_id,
                "team_id": team_id,
                "churn_reason": rng.choice(REASONS),
                "value_before": value,
                "outcome": outcome,
                "ended_at": None if outcome == "open" else started + dt.timedelta(days=30),
                "value_after": None if outcome == "open" else value * Decimal("0.9"),
                "cost": Decimal(rng.choice((0, 10, 30))) if not held else Decimal(0),
            }
        )
        if len(runs) >= 20_000:
            rows_insert(PlaybookRun, runs)
            written += len(runs)
            runs = []
    rows_insert(PlaybookRun, runs)
    written += len(runs)
    steps = []
    for run_id, started, held in PlaybookRun.objects.values_list("pk", "started_at", "held_out"):
        if held:
            continue
        for order, kind in ((1, "call"), (2, "review")):
            done = rng.random() < 0.6
            steps.append(
                {
                    "run_id": run_id,
                    "order": order,
                    "kind": kind,
                    "due_at": started + dt.timedelta(days=order * 3),
                    "done_at": started + dt.timedelta(days=order * 2) if done else None,
                }
            )
        if len(steps) >= 20_000:
            rows_insert(RunStep, steps)
            steps = []
    rows_insert(RunStep, steps)
    return written


def run(args: argparse.Namespace) -> bool:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from benchmarks.bulk import bulk_load
    from kehu.accounts.models import User
    from kehu.customers.models import Customer
    from kehu.demo.generate import demo_users
    from kehu.retention.models import PlaybookRun
    from kehu.retention.report import playbook_report
    from kehu.retention.services import playbook_create

    call_command("migrate", verbosity=0)
    owners = demo_users()
    admin = User.objects.get(username="admin")
    print(f"[{args.db}] loading {args.customers:,} customers…", flush=True)
    started = time.perf_counter()
    bulk_load(args.customers, seed=1, owners=owners, progress=False)
    playbooks = [
        playbook_create(
            actor=admin,
            data={"name": f"方案{i}", "trigger": "churn_risk", "risk_threshold": 0.5},
            steps=[{"kind": "call", "due_days": 2}, {"kind": "review", "due_days": 5}],
        )
        for i in range(args.playbooks)
    ]
    customers = list(Customer.objects.order_by("pk").values_list("pk", "owner_id", "team_id"))
    runs = _runs(playbooks, customers, args.share)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(
        f"[{args.db}] {len(customers):,} customers, {runs:,} runs "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    table = PlaybookRun._meta.db_table
    one = playbooks[0]

    def floor(_: object) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT playbook_id, held_out, outcome, COUNT(*), SUM(value_after) "
                f"FROM {table} GROUP BY playbook_id, held_out, outcome"
            )
            cursor.fetchall()

    def floor_one(_: object) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT owner_id, held_out, outcome, COUNT(*), SUM(value_after) "
                f"FROM {table} WHERE playbook_id = %s GROUP BY owner_id, held_out, outcome",
                [one.pk],
            )
            cursor.fetchall()

    client = Client()
    client.force_login(admin)
    client.get(f"/retention/{one.pk}/")  # templates compiled, as in a served process
    samples = range(args.samples)
    figures = {
        "floor_all": timed(floor, samples),
        "floor_one": timed(floor_one, samples),
        "all_by_playbook": timed(lambda _: playbook_report(by="playbook"), samples),
        "one_by_owner": timed(lambda _: playbook_report(by="owner", playbook=one), samples),
        "one_by_team": timed(lambda _: playbook_report(by="team", playbook=one), samples),
        "one_by_reason": timed(lambda _: playbook_report(by="reason", playbook=one), samples),
        "page": timed(lambda _: client.get(f"/retention/{one.pk}/"), samples),
        "api": timed(lambda _: client.get(f"/api/v1/playbooks/{one.pk}/report"), samples),
    }
    assert client.get(f"/retention/{one.pk}/").status_code == 200
    summary = playbook_report(by="owner", playbook=one).total.uplift
    result = {
        "db": args.db,
        "customers": len(customers),
        "runs": runs,
        "uplift": {"difference": summary.difference, "low": summary.low, "high": summary.high},
        **{k: {kk: round(vv, 2) for kk, vv in v.items()} for k, v in figures.items()},
        "all_vs_floor": round(
            figures["all_by_playbook"]["p95_ms"] / figures["floor_all"]["p95_ms"], 1
        )
        if figures["floor_all"]["p95_ms"]
        else None,
        "one_vs_floor": round(figures["one_by_owner"]["p95_ms"] / figures["floor_one"]["p95_ms"], 1)
        if figures["floor_one"]["p95_ms"]
        else None,
    }
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"retention_{args.db}.json").write_text(json.dumps(result, indent=2))
    worst = max(
        figures[k]["p95_ms"]
        for k in ("all_by_playbook", "one_by_owner", "one_by_team", "one_by_reason", "page", "api")
    )
    ok = worst < TARGET_MS
    verdict = "ok" if ok else "missed"
    print(f"[{args.db}] worst p95 {worst:.0f} ms (target < {TARGET_MS:.0f} ms): {verdict}")
    return ok


if __name__ == "__main__":
    main()
