"""`kehu demo` at 100,000 customers with two years of orders, on a fresh database.

    python benchmarks/bench_demo.py [--db sqlite|postgres] [--customers 100000]

Target (issue 5): under 3 minutes on SQLite. Prints what was generated and the time;
writes benchmarks/results/demo_<db>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]
RESULTS = ROOT / "benchmarks" / "results"
TARGET_SECONDS = 180


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="kehu-bench-"))
    cluster = None
    env = dict(os.environ, KEHU_ENV="development", KEHU_VAR_DIR=str(var))
    if args.db == "postgres":
        from tests.pg_harness import cluster_start

        cluster = cluster_start()
        env["DATABASE_URL"] = cluster.url
    else:
        env["DATABASE_URL"] = f"sqlite:///{var / 'demo.sqlite3'}"
    kehu = str(Path(sys.executable).parent / "kehu")
    try:
        subprocess.run([kehu, "migrate", "-v0"], env=env, check=True)
        started = time.perf_counter()
        done = subprocess.run(
            [kehu, "demo", "--customers", str(args.customers), "-v0"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
    finally:
        if cluster is not None:
            from tests.pg_harness import cluster_stop

            cluster_stop(cluster)
        shutil.rmtree(var, ignore_errors=True)
    ok = seconds < TARGET_SECONDS or args.db != "sqlite"
    RESULTS.mkdir(parents=True, exist_ok=True)
    summary = done.stdout.strip()
    (RESULTS / f"demo_{args.db}.json").write_text(
        json.dumps(
            {"db": args.db, "customers": args.customers, "seconds": seconds, "output": summary},
            ensure_ascii=False,
            indent=2,
        )
    )
    print(f"\nkehu demo --customers {args.customers:,} on {args.db} (target < {TARGET_SECONDS} s)")
    print(f"  {summary}")
    print(f"  {seconds:.1f} s  {'yes' if ok else 'NO'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
