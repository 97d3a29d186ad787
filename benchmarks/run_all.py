"""`make bench`: every figure, each database in its own process.

python benchmarks/run_all.py [--customers N]

Search and list page, then the duplicate scan, on SQLite and PostgreSQL with N
customers; racing pool claims on PostgreSQL; the customer timeline; order ingestion
through the batch API (100,000 orders) on both; the demo; a group send of 100,000
messages with a killed worker; the care agenda; the lifecycle recompute (10 orders per
customer) and its event-driven cost; the lifecycle analytics page; the value models'
fit against the ``lifetimes`` package (the ``bench`` dependency group, which
``make bench`` installs) and ``kehu score`` with the value pages; reading an import
file (openpyxl against python-calamine, and the GBK CSV); importing 100,000 customers
into N (dry run and run against a bare executemany); saving a sale from the sale form
beside the bare INSERTs of the order; the opportunities board and moving a card; the
public lead form at 200 submissions a second against a gunicorn server, nothing lost
and no double submit doubled; channels compared (the nightly rows and the live path);
counting a 5-condition segment beside a hand-written SQL count of it; the target
fit's held-out AUC beside its baselines; the exit analysis by every dimension beside a
bare GROUP BY, and the churn handler's batch.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    failed = False
    for script in ("bench_search.py", "bench_dedupe.py"):
        for db in ("sqlite", "postgres"):
            cmd = [
                sys.executable,
                str(HERE / script),
                "--db",
                db,
                "--customers",
                str(args.customers),
            ]
            failed |= subprocess.run(cmd, check=False).returncode != 0
    cmd = [sys.executable, str(HERE / "bench_claim.py"), "--db", "postgres"]
    failed |= subprocess.run(cmd, check=False).returncode != 0
    for db in ("sqlite", "postgres"):
        cmd = [sys.executable, str(HERE / "bench_timeline.py"), "--db", db]
        failed |= subprocess.run(cmd, check=False).returncode != 0
    for db in ("sqlite", "postgres"):
        cmd = [sys.executable, str(HERE / "bench_orders.py"), "--db", db, "--orders", "100000"]
        failed |= subprocess.run(cmd, check=False).returncode != 0
    cmd = [sys.executable, str(HERE / "bench_demo.py"), "--db", "sqlite"]
    failed |= subprocess.run(cmd, check=False).returncode != 0
    # Service and care (issue 6), the lifecycle engine (issue 7).
    for script, dbs, extra in (
        ("bench_messages.py", ("sqlite", "postgres"), []),
        ("bench_care.py", ("sqlite", "postgres"), ["--customers", str(args.customers)]),
        ("bench_lifecycle.py", ("sqlite", "postgres"), ["--customers", str(args.customers)]),
        ("bench_lifecycle_stats.py", ("sqlite", "postgres"), ["--customers", str(args.customers)]),
        # Customer value (issue 8).
        ("bench_score.py", ("sqlite", "postgres"), ["--customers", str(args.customers)]),
        # Data in and out (issue 19).
        ("bench_export.py", ("sqlite", "postgres"), ["--customers", str(args.customers)]),
        # Segments (issue 20): a 5-condition count beside hand-written SQL.
        ("bench_segments.py", ("sqlite", "postgres"), ["--customers", str(args.customers)]),
    ):
        for db in dbs:
            cmd = [sys.executable, str(HERE / script), "--db", db, *extra]
            failed |= subprocess.run(cmd, check=False).returncode != 0
    # Saving a sale from the form (issue 19): p95 at 1M customers / 10M orders.
    for db in ("sqlite", "postgres"):
        cmd = [
            sys.executable,
            str(HERE / "bench_sale.py"),
            "--db",
            db,
            "--customers",
            str(args.customers),
        ]
        failed |= subprocess.run(cmd, check=False).returncode != 0
    # The opportunities board and moving a card (issue 20): 10,000 open, a board of 500.
    for db in ("sqlite", "postgres"):
        cmd = [sys.executable, str(HERE / "bench_pipeline.py"), "--db", db]
        failed |= subprocess.run(cmd, check=False).returncode != 0
    # Channels compared and the funnel (issue 20): nightly rows plus the live path.
    for db in ("sqlite", "postgres"):
        cmd = [sys.executable, str(HERE / "bench_channels.py"), "--db", db]
        cmd += ["--customers", str(args.customers)]
        failed |= subprocess.run(cmd, check=False).returncode != 0
    # The exit analysis (issue 21): by every dimension beside a bare GROUP BY.
    for db in ("sqlite", "postgres"):
        cmd = [sys.executable, str(HERE / "bench_exits.py"), "--db", db]
        cmd += ["--customers", str(args.customers)]
        failed |= subprocess.run(cmd, check=False).returncode != 0
    # The public lead form (issue 20): 200 submissions/s for 30 s against gunicorn.
    for db in ("sqlite", "postgres"):
        cmd = [sys.executable, str(HERE / "bench_lead_form.py"), "--db", db]
        failed |= subprocess.run(cmd, check=False).returncode != 0
    cmd = [sys.executable, str(HERE / "bench_value_fit.py")]
    failed |= subprocess.run(cmd, check=False).returncode != 0
    # The learned churn warning (issue 21): holdout AUCs beside recency and BG/NBD.
    cmd = [sys.executable, str(HERE / "bench_churn_warning.py")]
    failed |= subprocess.run(cmd, check=False).returncode != 0
    # Target fit (issue 20): held-out AUC beside the baselines (a small population: the
    # figure is a quality, not a speed; 20,000 customers are enough to measure it).
    cmd = [sys.executable, str(HERE / "bench_target_fit.py"), "--db", "sqlite"]
    failed |= subprocess.run(cmd, check=False).returncode != 0
    # Import (issue 19): reading workbooks (openpyxl against calamine) and CSV.
    cmd = [sys.executable, str(HERE / "bench_import_read.py")]
    failed |= subprocess.run(cmd, check=False).returncode != 0
    # ... and importing 100,000 customers into N (dry run, run, executemany floor).
    for db in ("sqlite", "postgres"):
        cmd = [sys.executable, str(HERE / "bench_import.py"), "--db", db]
        cmd += ["--customers", str(args.customers)]
        failed |= subprocess.run(cmd, check=False).returncode != 0
    # Coupons (issue 21): issuing to 20,000 customers at once; 8 racing redemptions of
    # one code, exactly one winner a round (PostgreSQL).
    for db in ("sqlite", "postgres"):
        cmd = [sys.executable, str(HERE / "bench_coupons.py"), "--db", db]
        failed |= subprocess.run(cmd, check=False).returncode != 0
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
