"""Export of N customers (the customer list, default columns, as an admin sees it):
CSV and .xlsx through the app's export path, side by side with a bare floor and with
openpyxl's write-only mode.

    python benchmarks/bench_export.py --db sqlite|postgres [--customers 1000000]
                                      [--openpyxl-rows 100000]

N customers are generated (``benchmarks/bulk.py``); then each measure runs in a process
of its own (so its peak memory is its own, read from /proc: ``VmHWM``, and the peak of
``Pss_Anon``, the process's own memory without the database file SQLite maps in —
``mmap_size`` in settings — which the floor maps too):

- ``floor``: the same customer columns dumped bare — ``COPY (SELECT ...) TO STDOUT``
  on PostgreSQL, a plain cursor through ``csv.writer`` on SQLite;
- ``csv`` and ``xlsx``: ``services.export_plan`` + ``export_write`` (what the job and
  ``kehu export`` run): id-keyed chunks read from the cursor field by field, phones and
  tags per chunk, cells made and formatted a column at a time;
- ``openpyxl`` and ``xlsx-sample``: openpyxl's write-only workbook against the app's
  own sheet writer on the first ``--openpyxl-rows`` rows (openpyxl on a million rows
  takes minutes).

Prints a table and writes benchmarks/results/export_<db>.json. Targets (issue 19):
CSV under 30 s and .xlsx under 180 s for 1,000,000 customers, peak memory under 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.harness import RESULTS, bench_database, run_measured_private

CSV_TARGET, XLSX_TARGET, MEMORY_TARGET_MB = 30.0, 180.0, 300.0
FLOOR_COLUMNS = (
    "id, name, kind, email, wechat_id, province, city, address, industry, source_channel, "
    "owner_id, team_id, last_contact_at, created_at"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--openpyxl-rows", type=int, default=100_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    with bench_database(args.db, pg_options=("-c shared_buffers=512MB", "-c max_wal_size=4GB")):
        ok = run(args)
    sys.exit(0 if ok else 1)


def child(args: argparse.Namespace) -> None:
    """One measure, in its own process: writes {seconds, rows, bytes} to ``--out``."""
    import django

    django.setup()
    from django.db import connection

    from kehu.accounts.models import User
    from kehu.exports.services import export_plan, export_write
    from kehu.exports.writers import xlsx_write, xlsx_write_openpyxl

    mode = args.child
    suffix = "csv" if mode in ("floor", "csv") else "xlsx"
    target = Path(tempfile.mkdtemp(prefix="kehu-export-")) / f"out.{suffix}"
    admin = User.objects.filter(is_superuser=True).order_by("id").first()
    assert admin is not None
    started = time.perf_counter()
    with target.open("wb") as handle:
        if mode == "floor":
            rows = _floor(connection, handle)
        elif mode in ("csv", "xlsx"):
            plan = export_plan(actor=admin, list_key="customers", params={}, file_format=mode)
            rows = export_write(plan, handle)
        else:
            plan = export_plan(actor=admin, list_key="customers", params={}, file_format="xlsx")
            sample = _first(plan.rows(), args.openpyxl_rows)
            write = xlsx_write_openpyxl if mode == "openpyxl" else xlsx_write
            rows = write(handle, plan.header, sample)
    seconds = time.perf_counter() - started
    size = target.stat().st_size
    if mode in ("xlsx", "xlsx-sample", "openpyxl") and rows <= 200_000:
        _check_readable(target, rows)
    target.unlink()
    Path(args.out).write_text(json.dumps({"seconds": seconds, "rows": rows, "bytes": size}))


def _first(rows, n):  # type: ignore[no-untyped-def]
    for index, row in enumerate(rows):
        if index >= n:
            return
        yield row


def _floor(connection, handle) -> int:  # type: ignore[no-untyped-def]
    import csv
    import io

    sql = (
        f"SELECT {FLOOR_COLUMNS} FROM customers_customer WHERE deleted_at IS NULL ORDER BY id DESC"
    )
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        raw = connection.connection
        count = 0
        copy_sql = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)"
        with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for block in copy:
                handle.write(block)
                count += bytes(block).count(b"\n")
        return count - 1
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    count = 0
    with connection.cursor() as cursor:
        cursor.execute(sql)
        writer.writerow([c[0] for c in cursor.description])
        while batch := cursor.fetchmany(5000):
            writer.writerows(batch)
            count += len(batch)
    text.flush()
    text.detach()
    return count


def _check_readable(path: Path, rows: int) -> None:
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True).active
    assert sheet is not None
    read = sum(1 for _ in sheet.iter_rows(values_only=True))
    assert read == rows + 1, (read, rows)


def run(args: argparse.Namespace) -> bool:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from tests.factories import make_user

    from benchmarks.bulk import bulk_load
    from kehu.accounts.models import Role
    from kehu.demo.generate import demo_users

    call_command("migrate", verbosity=0)
    owners = demo_users()
    make_user(Role.ADMIN, username="bench_admin")
    print(f"[{args.db}] loading {args.customers:,} customers…", flush=True)
    bulk_load(args.customers, seed=1, owners=owners, progress=args.customers >= 200_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()

    results: dict[str, dict[str, float]] = {}
    for mode in ("floor", "csv", "xlsx", "xlsx-sample", "openpyxl"):
        out = Path(tempfile.mkdtemp(prefix="kehu-bench-out-")) / "result.json"
        cmd = [sys.executable, __file__, "--db", args.db, "--child", mode, "--out", str(out)]
        cmd += ["--openpyxl-rows", str(args.openpyxl_rows)]
        print(f"[{args.db}] {mode}…", flush=True)
        _wall, peak_mb, anon_mb = run_measured_private(cmd, env=dict(os.environ))
        measured = json.loads(out.read_text())
        measured["peak_mb"] = peak_mb
        measured["anon_peak_mb"] = anon_mb
        measured["rows_per_s"] = measured["rows"] / measured["seconds"]
        results[mode] = measured

    floor = results["floor"]["seconds"]
    print(f"\nExport of {args.customers:,} customers ({args.db})")
    print(
        f"{'measure':<12} {'rows':>10} {'seconds':>9} {'rows/s':>10} {'peak MB':>8} "
        f"{'anon MB':>8} {'× floor':>8}"
    )
    for mode, r in results.items():
        ratio = r["seconds"] / floor if mode in ("csv", "xlsx") else float("nan")
        print(
            f"{mode:<12} {r['rows']:>10,} {r['seconds']:>9.1f} {r['rows_per_s']:>10,.0f} "
            f"{r['peak_mb']:>8.0f} {r['anon_peak_mb']:>8.0f} {ratio:>8.1f}"
        )
    sample_speedup = results["xlsx-sample"]["rows_per_s"] / results["openpyxl"]["rows_per_s"]
    print(f"own sheet writer vs openpyxl write-only (same rows): {sample_speedup:.1f}× faster")
    scale = 1_000_000 / max(1, args.customers)
    projected = {m: results[m]["seconds"] * scale for m in ("csv", "xlsx")}
    if args.customers < 1_000_000:
        print(
            f"projected to 1,000,000 (linear): csv {projected['csv']:.0f} s, "
            f"xlsx {projected['xlsx']:.0f} s"
        )
    ok = (
        projected["csv"] < CSV_TARGET
        and projected["xlsx"] < XLSX_TARGET
        and all(results[m]["peak_mb"] < MEMORY_TARGET_MB for m in ("csv", "xlsx"))
    )
    print("targets: csv < 30 s, xlsx < 180 s, peak < 300 MB:", "met" if ok else "NOT met")
    RESULTS.mkdir(parents=True, exist_ok=True)
    summary = {
        "db": args.db,
        "customers": args.customers,
        "results": results,
        "openpyxl_speedup": sample_speedup,
        "projected_1m_seconds": projected,
        "ok": ok,
    }
    (RESULTS / f"export_{args.db}.json").write_text(json.dumps(summary, indent=2))
    return ok


if __name__ == "__main__":
    main()
