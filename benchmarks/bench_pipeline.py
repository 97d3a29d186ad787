"""The opportunities board (商机看板) with 10,000 open opportunities, and moving a card.

    python benchmarks/bench_pipeline.py --db sqlite|postgres [--opportunities 10000]
                                        [--board 500] [--customers 5000]

``--opportunities`` open opportunities over the demo's salespeople, one of whom owns
``--board`` of them (spread over the four phases, with products and a phase history
row each). Measured side by side: a bare primary-key lookup, that owner's board over
HTTP (the Django test client, the whole page) with its query count, the same board as
the htmx partial, the team manager's board (a column shows 200 cards and counts the
rest), and moving a card to another phase (the htmx POST a drop sends: access check,
one small transaction). Targets (issue 20): board p95 < 300 ms, move p95 < 100 ms.
Writes benchmarks/results/pipeline_<db>.json.
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

BOARD_TARGET_MS = 300
MOVE_TARGET_MS = 100


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--opportunities", type=int, default=10_000)
    parser.add_argument("--board", type=int, default=500)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    with bench_database(args.db, pg_options=()):
        ok = run(args)
    sys.exit(0 if ok else 1)


def _fill(args: argparse.Namespace, owner, others: list, now: dt.datetime) -> None:
    """The opportunities, their lines and first history rows, in bulk."""
    from kehu.customers.models import Customer
    from kehu.orders.models import Product
    from kehu.pipeline.models import Opportunity, OpportunityLine, Phase, PhaseChange

    rng = random.Random(20)
    phases = list(Phase.objects.order_by("position"))
    products = Product.objects.bulk_create(
        [Product(name=f"产品{i}", price=Decimal(100 + i)) for i in range(50)]
    )
    own_customers = list(Customer.objects.filter(owner=owner).values_list("pk", flat=True))
    by_owner: dict[int, list[int]] = {}
    for pk, owner_id in Customer.objects.filter(owner__isnull=False).values_list("pk", "owner_id"):
        by_owner.setdefault(owner_id, []).append(pk)
    rows = []
    for index in range(args.opportunities):
        user = owner if index < args.board else others[index % len(others)]
        customers = own_customers if user is owner else by_owner.get(user.pk) or own_customers
        entered = now - dt.timedelta(days=rng.randint(0, 40))
        rows.append(
            Opportunity(
                customer_id=rng.choice(customers),
                name=f"商机 {index}",
                amount=Decimal(rng.randint(1, 500) * 100),
                phase=phases[index % len(phases)],
                expected_close_date=(now + dt.timedelta(days=rng.randint(-10, 180))).date(),
                next_step="电话确认方案",
                owner_id=user.pk,
                team_id=user.team_id,
                phase_entered_at=entered,
                last_activity_at=entered,
                created_by_id=user.pk,
                updated_by_id=user.pk,
            )
        )
    made = Opportunity.objects.bulk_create(rows, batch_size=2000)
    OpportunityLine.objects.bulk_create(
        [
            OpportunityLine(
                opportunity=o,
                position=0,
                product=products[o.pk % 50],
                quantity=1,
                unit_price=o.amount,
            )
            for o in made
        ],
        batch_size=5000,
    )
    PhaseChange.objects.bulk_create(
        [
            PhaseChange(opportunity=o, to_phase=o.phase, to_status="open", at=o.phase_entered_at)
            for o in made
        ],
        batch_size=5000,
    )


def run(args: argparse.Namespace) -> bool:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from benchmarks.bulk import bulk_load
    from kehu.accounts.models import Role, User
    from kehu.demo.generate import demo_users
    from kehu.pipeline.models import Opportunity, Phase

    call_command("migrate", verbosity=0)
    users = demo_users()
    bulk_load(args.customers, seed=20, owners=users, progress=False)
    owner = User.objects.get(username="east_s1")
    manager = User.objects.filter(role=Role.MANAGER, team_id=owner.team_id).first()
    others = [u for u in users if u.is_active and u.pk != owner.pk and u.role == Role.SALES]
    started = time.perf_counter()
    _fill(args, owner, others, timezone.now())
    fill_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    client = Client()
    client.force_login(owner)
    board_url = "/pipeline/"
    assert client.get(board_url).status_code == 200  # warm-up
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(board_url)
    queries = len(ctx.captured_queries)
    cards = page.content.decode().count('class="pipeline-card ')
    probe = Opportunity.objects.filter(owner=owner).order_by("id").first()
    assert probe is not None
    baseline = timed(lambda _i: Opportunity.objects.get(pk=probe.pk), range(args.samples))
    board = timed(lambda _i: client.get(board_url), range(args.samples))
    htmx = {"HX-Request": "true"}
    partial = timed(lambda _i: client.get(board_url, headers=htmx), range(args.samples))
    manager_results = None
    if manager is not None:
        boss = Client()
        boss.force_login(manager)
        manager_results = timed(lambda _i: boss.get(board_url), range(args.samples // 2))

    phases = list(Phase.objects.order_by("position").values_list("pk", flat=True))
    movable = list(Opportunity.objects.filter(owner=owner).order_by("id")[: args.samples])

    def move(index: int) -> None:
        opportunity = movable[index]
        to = phases[(phases.index(opportunity.phase_id) + 1) % len(phases)]
        response = client.post(f"/pipeline/{opportunity.pk}/move/", {"phase": to}, headers=htmx)
        assert response.status_code == 200, response.status_code

    moves = timed(move, range(len(movable)))
    results = {
        "db": args.db,
        "opportunities": args.opportunities,
        "board_size": args.board,
        "cards_rendered": cards,
        "customers": args.customers,
        "fill_seconds": fill_seconds,
        "baseline_pk_lookup": baseline,
        "board_http": {**board, "queries": queries},
        "board_htmx_partial": partial,
        "manager_board_http": manager_results,
        "move_card_http": moves,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"pipeline_{args.db}.json").write_text(json.dumps(results, indent=2))
    print(
        f"\nPipeline board, {args.opportunities:,} open opportunities, one owner's board of "
        f"{args.board} ({cards} cards shown) on {args.db}"
    )
    print(f"{'case':34} {'p50 ms':>8} {'p95 ms':>8} {'×pk p95':>8} {'target':>7}  ok")
    ok = True
    rows = [
        ("primary-key lookup", baseline, None),
        (f"owner's board (HTTP, {queries} queries)", board, BOARD_TARGET_MS),
        ("owner's board (htmx partial)", partial, BOARD_TARGET_MS),
    ]
    if manager_results is not None:
        rows.append(("team manager's board (HTTP)", manager_results, None))
    rows.append(("move a card (htmx POST)", moves, MOVE_TARGET_MS))
    for label, s, target in rows:
        good = target is None or s["p95_ms"] < target
        ok &= good
        ratio = s["p95_ms"] / max(baseline["p95_ms"], 1e-6)
        shown = f"{target}" if target else "—"
        print(
            f"{label:34} {s['p50_ms']:8.2f} {s['p95_ms']:8.2f} {ratio:8.0f} {shown:>7}"
            f"  {'yes' if good else 'NO'}"
        )
    ok &= cards == args.board
    return ok


if __name__ == "__main__":
    main()
