"""Run a job recorded and locked: one ``JobRun`` row per run, at most one running.

``run_recorded(name, func, lease=...)``:

1. marks runs of ``name`` whose worker is gone as interrupted: a run on this machine
   whose process no longer exists at once, any other once it is older than ``lease``;
2. inserts the ``running`` row and commits it before the work starts. The row is the
   lock (``jobrun_one_open``): if another worker holds it, the insert fails and
   the run is skipped (``None``);
3. runs ``func`` and records the end: ``ok`` with its result, ``error`` with the
   traceback (the exception is re-raised), ``interrupted`` for a ``BaseException``
   (``KeyboardInterrupt``, ``SystemExit``; also re-raised).

A worker killed outright records nothing more; its row stays ``running`` until the
next run of the job (or ``kehu jobs`` starting on the same machine) sees it is dead.
The jobs themselves must still be safe to run twice or concurrently: a lease can run
out under a run that is only slow.

A run someone asks for (a button) and then watches: ``run_request(name, enqueue)``
writes a ``queued`` row and, once that is committed, hands its id to the Huey task
(``enqueue``); while it is queued or running, asking again returns the same run (the
same lock). The task calls ``run_claimed(run_id, func)``: it takes the queued row (a
task delivered twice runs once), runs ``func(progress)`` and records the end as above;
``progress`` writes how far it has got into the row, for the page that polls it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import os
import socket
import traceback
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from kehu.jobs.models import JobRun, JobStatus

logger = logging.getLogger(__name__)
DEFAULT_LEASE = dt.timedelta(hours=1)
MAX_ERROR = 20_000


def this_host() -> str:
    return socket.gethostname()[:255]


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, belongs to someone else
        return True
    return True


def _dead_here(runs: list[JobRun], *, own_pid_is_dead: bool) -> list[int]:
    """Runs recorded by a process of this machine that no longer exists."""
    host, me = this_host(), os.getpid()
    dead = []
    for run in runs:
        if run.host != host or run.pid is None:
            continue
        if run.pid == me:
            # Our own pid: a previous life of this process (containers reuse pids),
            # unless a sibling thread of ours is running it right now.
            if own_pid_is_dead:
                dead.append(run.pk)
        elif not _process_alive(run.pid):
            dead.append(run.pk)
    return dead


def _interrupt(ids: list[int] | Q, now: dt.datetime, why: str) -> int:
    where = Q(pk__in=ids) if isinstance(ids, list) else ids
    return JobRun.objects.filter(where, status=JobStatus.RUNNING).update(
        status=JobStatus.INTERRUPTED, finished_at=now, error=why
    )


def runs_interrupted_mark(*, now: dt.datetime | None = None) -> int:
    """When a worker starts: every run this machine left ``running`` is over."""
    now = now or timezone.now()
    running = list(JobRun.objects.filter(status=JobStatus.RUNNING, host=this_host()))
    return _interrupt(
        _dead_here(running, own_pid_is_dead=True), now, "worker gone (found at worker start)"
    )


def _start(name: str, lease: dt.timedelta) -> JobRun | None:
    now = timezone.now()
    running = list(JobRun.objects.filter(name=name, status=JobStatus.RUNNING))
    if running:
        stale = _dead_here(running, own_pid_is_dead=False)
        if stale:
            _interrupt(stale, now, "worker gone (its process no longer exists)")
        _interrupt(
            Q(name=name, started_at__lt=now - lease),
            now,
            f"worker gone (still running after the {lease} lease)",
        )
    try:
        with transaction.atomic():
            return JobRun.objects.create(
                name=name,
                status=JobStatus.RUNNING,
                started_at=now,
                host=this_host(),
                pid=os.getpid(),
            )
    except IntegrityError:
        return None  # someone else is running it


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if value is None or isinstance(value, dict | list | str | int | float | bool):
        return value
    return str(value)


def _finish(run: JobRun, status: str, *, result: Any = None, error: str = "") -> None:
    values = {
        "status": status,
        "finished_at": timezone.now(),
        "result": _jsonable(result),
        "error": error[-MAX_ERROR:],
    }
    for attempt in (1, 2):
        try:
            # By pk alone: a slow run whose lease ran out (marked interrupted by
            # another worker) still records how it really ended.
            JobRun.objects.filter(pk=run.pk).update(**values)
        except Exception:
            if attempt == 2 or connection.in_atomic_block:
                logger.exception("could not record the end of job run %s", run.pk)
                return
            connection.close()  # the work may have broken it; Django reconnects
        else:
            break
    for key, value in values.items():
        setattr(run, key, value)


def run_recorded(
    name: str,
    func: Callable[[], Any],
    *,
    lease: dt.timedelta = DEFAULT_LEASE,
    unless: Callable[[], bool] | None = None,
) -> JobRun | None:
    """Run ``func`` as job ``name``; ``None`` if it is running elsewhere (or ``unless()``,
    checked once the lock is held, says there is nothing to do)."""
    run = _start(name, lease)
    if run is None:
        logger.info("job %s is already running elsewhere: skipped", name)
        return None
    if unless is not None and unless():
        run.delete()
        return None
    return _recorded_call(run, func)


def recorded(
    name: str, *, lease: dt.timedelta = DEFAULT_LEASE
) -> Callable[[Callable[..., Any]], Callable[..., JobRun | None]]:
    """Decorator form: ``@recorded("nightly_export")`` makes each call a recorded,
    locked run that returns its ``JobRun`` (``None`` when skipped)."""

    def decorator(func: Callable[..., Any]) -> Callable[..., JobRun | None]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> JobRun | None:
            return run_recorded(name, lambda: func(*args, **kwargs), lease=lease)

        return wrapper

    return decorator


# --- runs someone asks for and watches ----------------------------------------------------------

OPEN = (JobStatus.QUEUED, JobStatus.RUNNING)


def run_open(name: str) -> JobRun | None:
    """The run of ``name`` that is queued or running, if any."""
    return JobRun.objects.filter(name=name, status__in=OPEN).first()


def _lost_mark(name: str, lease: dt.timedelta, now: dt.datetime) -> None:
    """Open runs of ``name`` nobody will finish: a worker of this machine that is gone,
    or a run (queued or running) older than ``lease`` — the queue lost it, or the
    worker died elsewhere."""
    running = list(JobRun.objects.filter(name=name, status=JobStatus.RUNNING))
    dead = _dead_here(running, own_pid_is_dead=False)
    if dead:
        _interrupt(dead, now, "worker gone (its process no longer exists)")
    JobRun.objects.filter(name=name, status__in=OPEN, started_at__lt=now - lease).update(
        status=JobStatus.INTERRUPTED,
        finished_at=now,
        error=f"not finished within the {lease} lease (queue or worker lost)",
    )


def run_request(
    name: str, *, enqueue: Callable[[int], Any], lease: dt.timedelta = DEFAULT_LEASE
) -> tuple[JobRun, bool]:
    """The open run of ``name``, or a new queued one handed to ``enqueue(run_id)`` once
    committed; and whether it is new. Two requests at once get the same run."""
    now = timezone.now()
    with transaction.atomic():
        _lost_mark(name, lease, now)
        found = run_open(name)
        if found is not None:
            return found, False
        try:
            with transaction.atomic():
                run = JobRun.objects.create(name=name, status=JobStatus.QUEUED, started_at=now)
        except IntegrityError:  # asked for a moment ago by someone else
            found = run_open(name)
            if found is None:
                raise
            return found, False
    transaction.on_commit(lambda: enqueue(run.pk))
    return run, True


class Progress:
    """How far a run has got: ``start(total)``, then ``advance(n)`` as work is done.
    Each call is one UPDATE of the run's row (call it per batch, not per item)."""

    def __init__(self, run: JobRun) -> None:
        self.run = run
        self.done = 0

    def start(self, total: int) -> None:
        self.done = 0
        JobRun.objects.filter(pk=self.run.pk).update(progress_total=total, progress_done=0)

    def advance(self, n: int) -> None:
        self.done += n
        JobRun.objects.filter(pk=self.run.pk).update(progress_done=self.done)


def run_claimed(run_id: int, func: Callable[[Progress], Any]) -> JobRun | None:
    """Run the queued run ``run_id`` (what ``enqueue``'s task calls), recorded like
    ``run_recorded``; ``None`` if it is not queued any more (taken by another delivery
    of the task, or given up as lost)."""
    claimed = JobRun.objects.filter(pk=run_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), host=this_host(), pid=os.getpid()
    )
    if not claimed:
        logger.info("job run %s is not queued any more: skipped", run_id)
        return None
    run = JobRun.objects.get(pk=run_id)
    return _recorded_call(run, lambda: func(Progress(run)))


def _recorded_call(run: JobRun, func: Callable[[], Any]) -> JobRun:
    """Call ``func`` and finish ``run`` with its result: ok, its error's traceback, or
    interrupted (a worker stopped by a signal)."""
    try:
        result = func()
    except Exception:
        _finish(run, JobStatus.ERROR, error=traceback.format_exc())
        raise
    except BaseException as exc:
        _finish(run, JobStatus.INTERRUPTED, error=f"{type(exc).__name__}: {exc}")
        raise
    _finish(run, JobStatus.OK, result=result)
    return run
