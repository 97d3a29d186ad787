"""The dry run's row checks on every core.

Checking a customer row — its cells read through the mapping, every rule of
``customer_prepare``, its search tokens — is CPU work that needs no database, and about
60 % of a dry run. With more than one core it runs in worker processes, forked from
this one (the planner is inherited, not sent): chunks go out as the file is read and
come back in order, while this process reads on and does what needs the database —
owners, duplicates against the customers and the rows above, the records.

Used for big files only (``MIN_ROWS``), outside a transaction (the connections are
closed before the fork, so no child shares one), and where ``fork`` exists; elsewhere,
on one core and with ``KEHU_IMPORT_WORKERS=0``, the same planner checks the rows in this process.
A worker writes nothing; it may read (a row with an external id is checked against
the database's constraint) on a connection of its own.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.utils import translation

from kehu.imports.readers import Row
from kehu.imports.rows import Planned

MIN_ROWS = 2000

_PLANNER: Any = None  # the workers' planner, inherited by fork


def workers_for(planner: Any, total_rows: int | None) -> int:
    """How many worker processes check this job's rows (0: this process does)."""
    configured = settings.KEHU_IMPORT_WORKERS
    workers = (os.cpu_count() or 1) - 1 if configured < 0 else configured
    if (
        workers < 1
        or not hasattr(planner, "check_rows")
        or (total_rows or 0) < MIN_ROWS
        or connection.in_atomic_block
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return 0
    return min(workers, 4)


def _start(language: str | None) -> None:
    if language:
        translation.activate(language)


def _check(rows: list[Row]) -> list[Any]:
    return _PLANNER.check_rows(rows)


def planned_chunks(
    planner: Any, chunks: Iterable[list[Row]], workers: int
) -> Iterator[tuple[int, list[Planned]]]:
    """(rows read, their plans) for each chunk, in the file's order."""
    if not workers:
        for chunk in chunks:
            yield len(chunk), planner.plan(chunk)
        return
    global _PLANNER
    _PLANNER = planner
    connections.close_all()
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start,
        initargs=(translation.get_language(),),
    )
    pending: deque[tuple[int, Future[list[Any]]]] = deque()
    try:
        for chunk in chunks:
            pending.append((len(chunk), pool.submit(_check, chunk)))
            if len(pending) > workers + 1:  # a few chunks ahead, memory stays flat
                size, future = pending.popleft()
                yield size, planner.plan_checked(future.result())
        while pending:
            size, future = pending.popleft()
            yield size, planner.plan_checked(future.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _PLANNER = None
