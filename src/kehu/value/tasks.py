"""The nightly value scoring (客户价值评分), and the model page's "run now".

Idempotent: a day already scored successfully is not scored again by the job; a second
run of the same day (``kehu score``, "run now") replaces the first (``score_run``); a
worker killed half-way leaves the previous snapshot in place and the next check of the
slot runs it again (see ``kehu.jobs.schedule``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from huey.contrib.djhuey import db_task

from kehu.jobs.runs import run_recorded
from kehu.jobs.schedule import DailyAt, periodic_job
from kehu.value.models import RunStatus, ScoreRun
from kehu.value.services import score_run

LEASE = dt.timedelta(hours=3)


def _result(run: ScoreRun) -> dict[str, Any]:
    return {
        "run": run.pk,
        "as_of": run.as_of.isoformat(),
        "status": run.status,
        "code": run.message_code,
        "customers": run.customers,
        "future_orders_ignored": run.future_orders_ignored,
    }


@periodic_job("value_score", DailyAt(4, 0), lease=LEASE)
def value_score() -> dict[str, Any]:
    """Score every customer as of today, once a day (skipped when today is scored)."""
    today = timezone.localdate()
    done = ScoreRun.objects.filter(as_of=today, status=RunStatus.SUCCEEDED).first()
    if done is not None:
        return {"skipped": True, **_result(done)}
    return _result(score_run(as_of=today))


@db_task(name="value.score_now")
def value_score_now(actor_id: int | None = None) -> None:
    """The model page's "run now" button, on the job queue (locked like the nightly job)."""
    from kehu.accounts.models import User

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    run_recorded(
        "value_score",
        lambda: _result(score_run(as_of=timezone.localdate(), actor=actor)),
        lease=LEASE,
    )
