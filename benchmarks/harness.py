"""What every benchmark shares: a throwaway database (a SQLite file in a temporary
folder, or a PostgreSQL cluster of its own), the settings pointing at it, clean-up,
and percentiles."""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]
RESULTS = ROOT / "benchmarks" / "results"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn: Callable[[Any], object], samples: Iterable[Any]) -> dict[str, float]:
    times = []
    for sample in samples:
        start = time.perf_counter()
        fn(sample)
        times.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": statistics.median(times), "p95_ms": percentile(times, 0.95), "n": len(times)}


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run ``cmd``; its wall time (s) and peak resident memory (MiB): the ``VmHWM`` of
    its own address space, polled (a child's ``ru_maxrss`` also counts the parent's
    memory it was forked from)."""
    seconds, peak, _private = run_measured_private(cmd, env)
    return seconds, peak


def _process_tree(pid: int) -> list[int]:
    """``pid`` and every process below it (an import's forked row checkers)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with suppress(OSError, ValueError):
                queue.extend(int(c) for c in (task / "children").read_text().split())
    return found


def run_measured_private(
    cmd: list[str], env: dict[str, str] | None = None
) -> tuple[float, float, float]:
    """``run_measured`` and the peak of the private memory (MiB, ``Pss_Anon`` polled
    every 0.2 s) of the process and its children together: what they allocated,
    without the pages of files they map — SQLite maps up to 256 MB of the database
    (``mmap_size``), pages the kernel shares and takes back, which ``VmHWM`` counts.
    ``Pss_Anon`` shares a page a forked child has not written between it and its
    parent, so the two together count it once (``RssAnon`` counts it in each). The
    resident peak is the process's ``VmHWM``, or the tree's resident memory added up
    when that is more."""
    import subprocess

    started = time.perf_counter()
    process = subprocess.Popen(cmd, env=env)
    peak_kb = private_kb = 0
    while process.poll() is None:
        resident = private = 0
        for pid in _process_tree(process.pid):
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:") and pid == process.pid:
                        peak_kb = max(peak_kb, int(line.split()[1]))
                    elif line.startswith("VmRSS:"):
                        resident += int(line.split()[1])
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss_Anon:"):
                        private += int(line.split()[1])
            except (OSError, ValueError):
                pass
        peak_kb, private_kb = max(peak_kb, resident), max(private_kb, private)
        time.sleep(0.2)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, cmd)
    return time.perf_counter() - started, peak_kb / 1024, private_kb / 1024


@contextmanager
def sqlite_bulk_writes() -> Iterator[None]:
    """A bulk load's WAL checkpointed every 100,000 pages (SQLite; nothing elsewhere),
    then the connection put back as it was and its WAL emptied: what is measured next
    runs as a served process does. (Left at 100,000, the order benchmark's API phase ran
    on a WAL of up to 400 MB — every page read searched its index — and one commit
    copied it all back, 0.34 s.)"""
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        (pages,) = cursor.fetchone()
        cursor.execute("PRAGMA wal_autocheckpoint=100000")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint={int(pages)}")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@contextmanager
def bench_database(db: str, *, pg_options: tuple[str, ...] = ()) -> Iterator[Path]:
    """Point Django at a fresh database for the duration; yields the var folder."""
    var = Path(tempfile.mkdtemp(prefix="kehu-bench-"))
    cluster = None
    if db == "postgres":
        from tests.pg_harness import cluster_start

        cluster = cluster_start(pg_options)
        os.environ["DATABASE_URL"] = cluster.url
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{var / 'bench.sqlite3'}"
    os.environ.update(
        KEHU_ENV="test",
        KEHU_VAR_DIR=str(var),
        DJANGO_SETTINGS_MODULE="kehu.settings",
        KEHU_ALLOWED_HOSTS="testserver,localhost",
    )
    try:
        yield var
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if cluster is not None:
            from tests.pg_harness import cluster_stop

            cluster_stop(cluster)
        shutil.rmtree(var, ignore_errors=True)
