"""``kehu jobs``: the background worker with the periodic schedule.

    kehu jobs [--workers N] [--no-periodic] [--quiet]   run the worker (SIGTERM or Ctrl-C
                                                      stops it; running jobs get 20 s)
    kehu jobs run NAME                                run one job now, in this process
    kehu jobs list [--name NAME] [--limit N]          the schedule and the latest runs

The queue is Huey's (``settings.HUEY``): a SQLite file in var/, or Redis with
``KEHU_REDIS_URL``. Several workers may share it: each job runs once per slot and
never twice at the same time (see ``kehu/jobs/schedule.py``).
"""

from __future__ import annotations

import json
import logging
from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.utils import timezone

from kehu.jobs.models import JobRun
from kehu.jobs.runs import runs_interrupted_mark
from kehu.jobs.schedule import job_run, jobs_load


def _queue_description(config: dict[str, Any]) -> str:
    url = config.get("connection", {}).get("url")
    if url:
        parts = urlsplit(url)
        return f"Redis {parts.hostname}:{parts.port or 6379}{parts.path}"
    return f"SQLite {config.get('connection', {}).get('filename')}"


def _seconds(run: JobRun) -> str:
    duration = run.duration
    return "-" if duration is None else f"{duration.total_seconds():.1f} s"


def _summary(run: JobRun) -> str:
    if run.error:
        return run.error.strip().splitlines()[-1][:100]
    return json.dumps(run.result, ensure_ascii=False)[:100] if run.result is not None else ""


class Command(BaseCommand):
    help = "Background jobs: run the worker (default), `run NAME` one job now, `list` runs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workers", type=int, help="Worker threads (KEHU_JOBS_WORKERS).")
        parser.add_argument(
            "--no-periodic",
            action="store_true",
            help="Do not enqueue the periodic jobs (another worker does).",
        )
        parser.add_argument("--quiet", action="store_true", help="Log warnings and errors only.")
        sub = parser.add_subparsers(dest="action")
        run = sub.add_parser("run", help="Run one job now, in this process.")
        run.add_argument("name")
        show = sub.add_parser("list", help="The schedule and the latest runs.")
        show.add_argument("--name", default="")
        show.add_argument("--limit", type=int, default=20)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "run":
            self._run(options["name"])
        elif options["action"] == "list":
            self._list(options["name"], options["limit"])
        else:
            self._work(options)

    def _run(self, name: str) -> None:
        jobs = jobs_load()
        if name not in jobs:
            raise CommandError(f"no job {name!r}; jobs: {', '.join(jobs)}")
        try:
            run = job_run(name)
        except Exception as exc:
            raise CommandError(f"{name} failed: {exc!r} (recorded; see `kehu jobs list`)") from exc
        if run is None:
            self.stdout.write(f"{name} is running elsewhere right now: skipped")
            return
        self.stdout.write(f"{name}: {run.status} in {_seconds(run)}  {_summary(run)}")

    def _list(self, name: str, limit: int) -> None:
        self.stdout.write(f"{'job':<15} {'last run':<32} schedule")
        for job in jobs_load().values():
            last = JobRun.objects.filter(name=job.name).first()
            when = (
                f"{last.status} {timezone.localtime(last.started_at):%Y-%m-%d %H:%M:%S}"
                if last
                else "never"
            )
            self.stdout.write(f"{job.name:<15} {when:<32} {job.schedule.describe()}")
        runs = JobRun.objects.all()
        if name:
            runs = runs.filter(name=name)
        self.stdout.write("")
        for run in runs[:limit]:
            started = timezone.localtime(run.started_at)
            self.stdout.write(
                f"{run.pk:>7}  {run.name:<15} {run.status:<11} {started:%Y-%m-%d %H:%M:%S} "
                f"{_seconds(run):>8}  {run.host}:{run.pid}  {_summary(run)}"
            )

    def _work(self, options: dict[str, Any]) -> None:
        from huey.consumer_options import ConsumerConfig
        from huey.contrib.djhuey import HUEY

        jobs = jobs_load()
        if HUEY.immediate:
            raise CommandError(
                "The job queue is in immediate mode (KEHU_ENV=test or KEHU_JOBS_IMMEDIATE): "
                "jobs run inline and there is no queue to work on. "
                "Set KEHU_JOBS_IMMEDIATE=false."
            )
        config = cast(dict[str, Any], settings.HUEY)
        consumer_options = dict(config.get("consumer", {}))
        if options["workers"]:
            consumer_options["workers"] = options["workers"]
        if options["no_periodic"]:
            consumer_options["periodic"] = False
        if options["quiet"]:
            consumer_options["verbose"] = False
        consumer_config = ConsumerConfig(**consumer_options)
        consumer_config.validate()
        for logger_name in ("huey", "kehu.jobs"):
            logger = logging.getLogger(logger_name)
            if not logger.handlers:
                consumer_config.setup_logger(logger)
                logger.propagate = False  # the root console handler would print it twice
        interrupted = runs_interrupted_mark()
        self.stdout.write(
            f"Kehu jobs: {_queue_description(config)}, "
            f"{consumer_config.workers} worker(s), schedule "
            + ("on: " + ", ".join(jobs) if consumer_config.periodic else "off")
        )
        if interrupted:
            self.stdout.write(f"{interrupted} run(s) of a dead worker marked interrupted")
        self.stdout.flush()
        connections.close_all()  # each worker thread opens its own
        HUEY.create_consumer(**consumer_config.values).run()
