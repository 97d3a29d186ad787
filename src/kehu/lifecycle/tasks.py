"""The daily lifecycle job: everyone re-evaluated for rules that depend on elapsed time
("no order for 2× the usual gap"). Idempotent: a second run, or a run resumed after a
worker died half-way, writes nothing more (evaluation is a fixed point).

And the "apply now" of a model's rules (``apply.py``): the same evaluation for one
model, asked for from the model page, its progress recorded in its run."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.utils import timezone
from huey.contrib.djhuey import db_task

from kehu.customers.models import Customer
from kehu.jobs.models import JobRun
from kehu.jobs.runs import Progress, run_claimed
from kehu.jobs.schedule import DailyAt, periodic_job
from kehu.lifecycle import analytics_jobs  # noqa: F401  (its job: the analytics summaries)
from kehu.lifecycle.engine import lifecycle_recompute


@periodic_job("lifecycle_daily", DailyAt(5, 0), lease=dt.timedelta(hours=2))
def lifecycle_daily() -> dict[str, Any]:
    """Re-evaluate every customer in the active lifecycle models (生命周期每日评估)."""
    return dataclasses.asdict(lifecycle_recompute(now=timezone.now()))


def lifecycle_apply_run(run_id: int, model_key: str) -> JobRun | None:
    """Applying a model now: every live customer re-evaluated in the model, in runs of
    5,000, the count of those done written into the run after each."""

    def work(progress: Progress) -> dict[str, Any]:
        progress.start(Customer.objects.alive().count())
        result = lifecycle_recompute(
            now=timezone.now(), models=[model_key], progress=progress.advance
        )
        return {"model": model_key, "customers": result.customers, "changes": result.changes}

    return run_claimed(run_id, work)


@db_task(name="lifecycle.apply")
def lifecycle_apply(run_id: int, model_key: str) -> None:
    """Apply one model's rules to every customer now (the run was queued by
    ``apply.lifecycle_apply_request``; a second delivery of the task does nothing)."""
    lifecycle_apply_run(run_id, model_key)
