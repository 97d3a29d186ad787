"""The care agenda for N customers (birthdays, festivals, cadence) in one day's build.

    python benchmarks/bench_care.py --db sqlite|postgres [--customers 1000000]
                                    [--date 2026-02-17]

N customers are generated (``benchmarks/bulk.py``), then given birthdays (one in five
celebrating the lunar birthday, some on 29 February and on 腊月三十), tags (one in ten
``VIP`` with a 14-day cadence, the default cadence 90 days) and last-contact dates (one
in ten never contacted). With the seeded rules (birthday greetings → tasks, festivals →
agenda only, cadence → call tasks) the day's agenda is

1. computed without writing (the selector behind the API and the preview), and
2. built by the job's service (``agenda_build``: items, tasks), then built again
   (must write nothing: idempotence).

The default date is 2026-02-17 (春节): every customer has a festival line. Prints a
table and writes benchmarks/results/care_<db>.json. Target: the build under 60 s.
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
from benchmarks.harness import RESULTS, bench_database

TARGET_SECONDS = 60.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--date", default="2026-02-17")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with bench_database(args.db, pg_options=("-c shared_buffers=512MB", "-c max_wal_size=4GB")):
        ok = run(args)
    sys.exit(0 if ok else 1)


def _decorate(n_first: int, day: dt.date, seed: int) -> dict[str, int]:
    """Birthdays, lunar flags, last contacts and VIP tags for every customer."""
    from django.db import connection, transaction
    from django.utils import timezone

    from kehu.care.models import CadenceRule
    from kehu.customers.models import Customer, Tag

    rng = random.Random(seed)
    vip = Tag.objects.create(name="VIP")
    CadenceRule.objects.create(tag=vip, days=14)
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    zone = timezone.get_default_timezone()
    ops = connection.ops
    updates, tags = [], []
    counts = {"birthdays": 0, "lunar": 0, "never_contacted": 0, "vip": 0}
    for pk in ids:
        birthday = None
        lunar = False
        if rng.random() < 0.8:
            roll = rng.random()
            if roll < 0.001:
                birthday = dt.date(rng.choice((1980, 1984, 1988, 1992, 1996, 2000)), 2, 29)
            elif roll < 0.002:
                birthday = dt.date(2023, 1, 21)  # 2022 腊月三十
            else:
                birthday = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 55))
            lunar = rng.random() < 0.2
            counts["birthdays"] += 1
            counts["lunar"] += lunar
        contact = None
        if rng.random() < 0.9:
            days_ago = rng.randrange(100) if rng.random() < 0.9 else rng.randrange(100, 700)
            contact = dt.datetime.combine(
                day - dt.timedelta(days=days_ago), dt.time(rng.randrange(8, 20)), tzinfo=zone
            )
        else:
            counts["never_contacted"] += 1
        updates.append(
            (
                ops.adapt_datefield_value(birthday),
                lunar,
                ops.adapt_datetimefield_value(contact),
                pk,
            )
        )
        if rng.random() < 0.1:
            tags.append((pk, vip.pk))
            counts["vip"] += 1
    table = Customer._meta.db_table
    through = Customer.tags.through._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET birthday = %s, birthday_is_lunar = %s, last_contact_at = %s "
            "WHERE id = %s",
            updates,
        )
        cursor.executemany(f"INSERT INTO {through} (customer_id, tag_id) VALUES (%s, %s)", tags)
        cursor.execute("ANALYZE")
    return counts


def run(args: argparse.Namespace) -> bool:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from benchmarks.bulk import bulk_load
    from kehu.care.agenda import agenda_compute
    from kehu.care.models import CareItem, Reason
    from kehu.care.services import agenda_build
    from kehu.customers.models import Customer
    from kehu.demo.generate import demo_users
    from kehu.followups.models import Task

    day = dt.date.fromisoformat(args.date)
    call_command("migrate", verbosity=0)
    owners = demo_users()
    print(f"[{args.db}] loading {args.customers:,} customers…", flush=True)
    bulk_load(args.customers, seed=1, owners=owners, progress=args.customers >= 200_000)
    counts = _decorate(args.customers, day, args.seed)

    print(f"[{args.db}] computing the agenda of {day} (no writes)…", flush=True)
    started = time.perf_counter()
    by_reason: dict[str, int] = {}
    for chunk in agenda_compute(day, Customer.objects.all()):
        for entry in chunk:
            by_reason[entry.reason] = by_reason.get(entry.reason, 0) + 1
    compute_seconds = time.perf_counter() - started

    print(f"[{args.db}] building it (items and tasks)…", flush=True)
    started = time.perf_counter()
    built = agenda_build(day=day)
    build_seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = agenda_build(day=day)
    rebuild_seconds = time.perf_counter() - started
    items = CareItem.objects.count()
    tasks = Task.objects.count()
    idempotent = again.items == 0 and again.tasks == 0 and items == built.items
    met = build_seconds < TARGET_SECONDS and idempotent

    results = {
        "db": args.db,
        "vendor": connection.vendor,
        "customers": args.customers,
        "date": day.isoformat(),
        "data": counts,
        "compute_seconds": compute_seconds,
        "build_seconds": build_seconds,
        "rebuild_seconds": rebuild_seconds,
        "lines_by_reason": by_reason,
        "items": items,
        "tasks": tasks,
        "rebuild_wrote": {"items": again.items, "tasks": again.tasks},
        "target_seconds": TARGET_SECONDS,
        "met": met,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"care_{args.db}.json").write_text(json.dumps(results, indent=2))

    print(
        f"\nCare agenda of {day} for {args.customers:,} customers on {args.db} "
        f"(target: build < {TARGET_SECONDS:.0f} s)"
    )
    print(f"{'step':36} {'seconds':>8}")
    print(f"{'compute (selector, no writes)':36} {compute_seconds:8.2f}")
    print(f"{'build (items + tasks)':36} {build_seconds:8.2f}")
    print(f"{'build again (writes nothing)':36} {rebuild_seconds:8.2f}")
    print(
        "lines: "
        + ", ".join(f"{Reason(k).label} {v:,}" for k, v in sorted(by_reason.items()))
        + f"; items {items:,}, tasks {tasks:,}"
    )
    print(f"second build wrote {again.items} items, {again.tasks} tasks")
    print(f"build < {TARGET_SECONDS:.0f} s and idempotent: {'yes' if met else 'NO'}")
    return met


if __name__ == "__main__":
    main()
