"""Importing customers from .xlsx into a database of existing customers.

    python benchmarks/bench_import.py --db sqlite|postgres [--customers N] [--rows R]

Loads N existing customers (default 1,000,000; ``benchmarks/bulk.py``), writes issue
19's customer file (``benchmarks/import_files.py``: R rows, default 100,000, 12
columns, 5 % bad rows, 2 % with the phone of an existing customer), then times, each
in a fresh process (``kehu import``, so the peak memory is the importer's own):

* the dry run (``--dry-run``): read, map from the headers, check every row (its
  checked rows kept for the run, ``kehu.imports.plans``; the rows' own checks in a
  worker process per core beyond the first, ``kehu.imports.parallel``); also of the
  same file as a CSV in GBK;
* the run (``--job``, the pages' last step): that job written in 500-row chunks —
  duplicates and owners checked again against the database, the rows not again;
* the floor, in this process: a bare ``executemany`` of the same validated rows —
  every row the run wrote (customers, phones, tag links, contacts, owner and history
  records, search tokens, the import's records), in one transaction, rolled back.

Prints the counts against what was planted, seconds, rows/s and peak memory, and the
run's rate as a share of the floor's; writes benchmarks/results/import_<db>.json.
Targets (issue 19): dry run and run each under 60 s at 100,000 rows, peak memory under
500 MB (checked on the private memory of the importer and its row-checking workers,
``Pss_Anon``; the resident peak, which also counts
the database pages SQLite maps, is printed beside it), the run at ≥ 25 % of the floor's
rate. At a smaller scale the figures are
projected linearly to 100,000 rows (said so in the output). Exits non-zero when a
target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.harness import RESULTS, ROOT, bench_database, run_measured_private

TARGET_SECONDS = 60.0
TARGET_PEAK_MB = 500.0
TARGET_SHARE = 0.25
FIGURE_ROWS = 100_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=FIGURE_ROWS)
    parser.add_argument(
        "--profile",
        type=Path,
        help="write a cProfile of each `kehu import` to this folder (times grow ~2x)",
    )
    args = parser.parse_args()
    global PROFILE
    PROFILE = args.profile
    with bench_database(
        args.db, pg_options=("-c shared_buffers=1GB", "-c max_wal_size=8GB")
    ) as var:
        ok = run(args, var)
    sys.exit(0 if ok else 1)


PROFILE: Path | None = None


def _kehu(*args: str) -> tuple[float, float, float]:
    """Seconds, peak resident and peak private memory (MiB) of one ``kehu import``."""
    cmd = [sys.executable, "-m", "kehu.cli", "import", *args, "--user", "admin", "-v", "0"]
    if PROFILE is not None:
        PROFILE.mkdir(parents=True, exist_ok=True)
        name = "_".join(Path(a).name for a in args).replace("-", "")
        cmd[1:1] = ["-m", "cProfile", "-o", str(PROFILE / f"{name}.prof")]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return run_measured_private(cmd, env=env)


def _json(value: Any) -> Any:
    """A JSON value read back (PostgreSQL gives it decoded) as the driver takes it."""
    if isinstance(value, dict | list):
        from psycopg.types.json import Jsonb

        return Jsonb(value)
    return value


def _floor(job_id: int) -> tuple[int, float]:
    """A bare ``executemany`` of every row the run wrote — the customers, their phones,
    tag links, contacts, owner and history records, search tokens and the import's own
    records — read back and inserted again in one transaction, rolled back: (customers,
    seconds). The children go in under other customer ids (foreign keys are checked at
    commit, which never comes)."""
    from django.db import connection, transaction

    from kehu.customers.models import (
        Contact,
        Customer,
        CustomerChange,
        CustomerPhone,
        OwnerChange,
        SearchToken,
    )
    from kehu.imports.models import ImportRow

    ids = sorted(
        ImportRow.objects.filter(job_id=job_id, outcome="new").values_list("target_id", flat=True)
    )
    offset = 10**12
    tables: list[tuple[str, str, list[int]]] = [
        (Customer._meta.db_table, "id", ids),
        *(
            (model._meta.db_table, "customer_id", ids)
            for model in (
                CustomerPhone,
                Customer.tags.through,
                Contact,
                OwnerChange,
                CustomerChange,
                SearchToken,
            )
        ),
        (ImportRow._meta.db_table, "job_id", [job_id]),
    ]
    inserts: list[tuple[str, list[tuple[Any, ...]]]] = []
    with connection.cursor() as cursor:
        for table, key, keys in tables:
            rows: list[tuple[Any, ...]] = []
            columns: list[str] = []
            for start in range(0, len(keys), 5000):
                chunk = keys[start : start + 5000]
                cursor.execute(
                    f"SELECT * FROM {table} WHERE {key} IN ({', '.join(['%s'] * len(chunk))})",
                    chunk,
                )
                names = [d[0] for d in cursor.description]
                keep = [i for i, n in enumerate(names) if n != "id"]
                columns = [names[i] for i in keep]
                moved = columns.index(key) if key in columns else None
                for row in cursor.fetchall():
                    values = [_json(row[i]) for i in keep]
                    if moved is not None:
                        values[moved] += offset
                    rows.append(tuple(values))
            placeholders = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
            inserts.append((sql, rows))
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, rows in inserts:
            if rows:
                cursor.executemany(sql, rows)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return len(ids), seconds


def run(args: argparse.Namespace, var: Path) -> bool:
    import django

    django.setup()
    from django.core.management import call_command

    from benchmarks.bulk import bulk_load
    from benchmarks.import_files import write_files
    from kehu.customers.models import CustomerPhone
    from kehu.demo.generate import demo_users
    from kehu.imports.models import ImportJob

    call_command("migrate", verbosity=0)
    owners = demo_users()
    print(f"[{args.db}] loading {args.customers:,} customers…", flush=True)
    started = time.perf_counter()
    bulk_load(args.customers, seed=1, owners=owners, progress=False)
    load_seconds = time.perf_counter() - started
    rng = random.Random(11)
    max_id = CustomerPhone.objects.order_by("-id").values_list("id", flat=True).first() or 1
    picks = [rng.randint(1, max_id) for _ in range(max(10, args.rows // 20))]
    existing = list(CustomerPhone.objects.filter(pk__in=picks).values_list("number", flat=True))
    xlsx, gbk, planted = write_files(var / "file", args.rows, existing_phones=existing)
    print(f"[{args.db}] {args.customers:,} loaded in {load_seconds:.0f} s; importing…", flush=True)

    # The same file as CSV in GBK: its dry run (the run writes the checked plans, the
    # same whatever the file was).
    gbk_seconds, gbk_peak, gbk_private = _kehu(str(gbk), "--dry-run")
    gbk_job = ImportJob.objects.order_by("-id").first()
    assert gbk_job is not None
    dry_seconds, dry_peak, dry_private = _kehu(str(xlsx), "--dry-run")
    dry = ImportJob.objects.order_by("-id").first()
    assert dry is not None
    run_seconds, run_peak, run_private = _kehu("--job", str(dry.pk))
    job = ImportJob.objects.get(pk=dry.pk)  # ``dry`` keeps the dry run's counts
    floor_rows, floor_seconds = _floor(job.pk)
    rate = job.new_count / run_seconds if run_seconds else 0.0
    floor_rate = floor_rows / floor_seconds if floor_seconds else 0.0
    share = rate / floor_rate if floor_rate else 0.0
    scale = FIGURE_ROWS / args.rows
    result: dict[str, Any] = {
        "db": args.db,
        "existing": args.customers,
        "rows": args.rows,
        "planted": {"bad": sum(planted.bad.values()), "duplicates": planted.duplicates},
        "dry_run": {
            "seconds": round(dry_seconds, 2),
            "peak_mb": round(dry_peak, 1),
            "peak_private_mb": round(dry_private, 1),
            "new": dry.new_count,
            "update": dry.update_count,
            "duplicate": dry.duplicate_count,
            "error": dry.error_count,
        },
        "dry_run_gbk_csv": {
            "seconds": round(gbk_seconds, 2),
            "peak_mb": round(gbk_peak, 1),
            "peak_private_mb": round(gbk_private, 1),
            "new": gbk_job.new_count,
            "error": gbk_job.error_count,
        },
        "run": {
            "seconds": round(run_seconds, 2),
            "peak_mb": round(run_peak, 1),
            "peak_private_mb": round(run_private, 1),
            "status": job.status,
            "new": job.new_count,
            "skipped": job.duplicate_count,
            "error": job.error_count,
            "rows_per_s": round(rate),
        },
        "floor": {"rows": floor_rows, "seconds": round(floor_seconds, 3)},
        "floor_rows_per_s": round(floor_rate),
        "share_of_floor": round(share, 3),
        "projected_to_100k": {
            "dry_run_seconds": round(dry_seconds * scale, 1),
            "run_seconds": round(run_seconds * scale, 1),
            "dry_run_gbk_seconds": round(gbk_seconds * scale, 1),
        },
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.rows != FIGURE_ROWS or args.customers != 1_000_000:
        print(
            f"[{args.db}] smaller scale than the figure ({args.rows:,} rows into "
            f"{args.customers:,}); times projected linearly to 100,000 rows: dry run "
            f"{dry_seconds * scale:.0f} s, run {run_seconds * scale:.0f} s"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"import_{args.db}.json").write_text(json.dumps(result, indent=2))
    missed = []
    if dry_seconds * scale > TARGET_SECONDS:
        missed.append("dry run time")
    if run_seconds * scale > TARGET_SECONDS:
        missed.append("run time")
    if gbk_seconds * scale > TARGET_SECONDS:
        missed.append("GBK CSV dry run time")
    if max(dry_private, run_private, gbk_private) > TARGET_PEAK_MB:
        missed.append("peak memory")
    if share < TARGET_SHARE:
        missed.append("share of the executemany floor")
    print(f"[{args.db}] targets missed: {', '.join(missed)}" if missed else f"[{args.db}] ok")
    return not missed


if __name__ == "__main__":
    main()
