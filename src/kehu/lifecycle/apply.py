"""Applying a model's rules to every customer now (规则立即生效), not at the daily job.

A saved rule moves a customer at once only when something about that customer changes
(an order, a complaint...); rules that depend on time wait for the daily job
(``tasks.lifecycle_daily``, 05:00). An admin may instead apply the model now: a job on
the queue (``tasks.lifecycle_apply``) that runs what ``kehu lifecycle recompute
--model KEY`` runs, with its progress recorded in its ``JobRun`` for the page that polls
it. One apply per model at a time: asking while one is queued or running joins it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.errors import KehuError
from kehu.jobs.models import JobRun, JobStatus
from kehu.jobs.runs import run_open, run_request
from kehu.lifecycle.admin_selectors import access_models_admin
from kehu.lifecycle.models import LifecycleModel
from kehu.lifecycle.tasks import lifecycle_apply

APPLY_LEASE = dt.timedelta(hours=2)
DAILY_JOB = "lifecycle_daily"


class ModelInactive(KehuError):
    code = "model_inactive"
    status = 409


def apply_job_name(model: LifecycleModel) -> str:
    """The job name of applying ``model`` (the lock: one open run per name)."""
    return f"lifecycle_apply:{model.pk}"


def lifecycle_apply_request(*, actor: User, model: LifecycleModel) -> tuple[JobRun, bool]:
    """Queue applying ``model``'s rules to every customer, or join the apply already
    queued or running; and whether it is a new run."""
    access_models_admin(actor)
    if not model.is_active:
        raise ModelInactive(
            _("模型“%(name)s”未启用：启用后客户才会进入它的阶段。") % {"name": model.name}
        )
    key = model.key

    def enqueue(run_id: int) -> None:
        lifecycle_apply(run_id, key)

    return run_request(apply_job_name(model), enqueue=enqueue, lease=APPLY_LEASE)


def apply_run_of(model: LifecycleModel, run_id: object) -> JobRun:
    """A run of applying ``model``, else ``Http404`` (another model's, or no such run)."""
    try:
        pk = int(str(run_id))
    except (TypeError, ValueError):
        raise Http404 from None
    run = JobRun.objects.filter(pk=pk, name=apply_job_name(model)).first()
    if run is None:
        raise Http404
    return run


def apply_run_current(model: LifecycleModel) -> JobRun | None:
    return run_open(apply_job_name(model))


def apply_run_last(model: LifecycleModel) -> JobRun | None:
    return JobRun.objects.filter(name=apply_job_name(model)).order_by("-started_at", "-pk").first()


def daily_next(now: dt.datetime | None = None) -> dt.datetime | None:
    """When the daily job next applies every model's rules to everyone (local time)."""
    from kehu.jobs.schedule import job_get

    try:
        job = job_get(DAILY_JOB)
    except KeyError:
        return None
    return timezone.localtime(job.schedule.next_after(now or timezone.now()))


@dataclass
class ApplyProgress:
    """A run of applying a model, as the progress page shows it."""

    run: JobRun

    @property
    def open(self) -> bool:
        return self.run.status in (JobStatus.QUEUED, JobStatus.RUNNING)

    @property
    def done(self) -> int:
        return self.run.progress_done

    @property
    def total(self) -> int | None:
        return self.run.progress_total

    @property
    def percent(self) -> int:
        if self.run.status == JobStatus.OK:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.done * 100 / self.total))

    @property
    def changes(self) -> int | None:
        result = self.run.result
        return result.get("changes") if isinstance(result, dict) else None


@dataclass
class ApplyPanel:
    """The model page's "apply now" panel: when the rules apply by themselves, and the
    apply running now or the last one."""

    model: LifecycleModel
    next_daily: dt.datetime | None
    current: ApplyProgress | None
    last: ApplyProgress | None


def apply_panel(model: LifecycleModel) -> ApplyPanel:
    last = apply_run_last(model)
    current = (
        last if last is not None and last.status in (JobStatus.QUEUED, JobStatus.RUNNING) else None
    )
    return ApplyPanel(
        model,
        daily_next(),
        ApplyProgress(current) if current else None,
        ApplyProgress(last) if last and not current else None,
    )
