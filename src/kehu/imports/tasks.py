"""The import's long steps on the job queue: read the file, the dry run, the run.

Each task claims its job with a conditional update (a task delivered twice runs once)
and records a failure on the job instead of losing it. A run whose worker died stays
``running``; ``import_resume`` (the progress page's button, or ``kehu import --resume``)
queues it again and it carries on from the rows recorded."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_task

from kehu.imports.checking import import_check, import_fail
from kehu.imports.models import ImportJob, ImportStatus
from kehu.imports.running import import_run
from kehu.imports.services import import_claim, import_mapping_named, import_read

logger = logging.getLogger(__name__)


def _guarded(job: ImportJob, step: object) -> None:
    try:
        step()  # type: ignore[operator]
    except Exception:
        logger.exception("import %s failed", job.pk)
        import_fail(job, _("导入出错，请联系管理员（已记录日志）。"))
        raise


@db_task(name="imports.read")
def import_read_task(job_id: int) -> None:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job and import_claim(job, (ImportStatus.UPLOADED,), ImportStatus.READING):
        _guarded(job, lambda: import_read(job))


@db_task(name="imports.check")
def import_check_task(job_id: int) -> None:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job and import_claim(
        job,
        (ImportStatus.MAPPING, ImportStatus.CHECKED, ImportStatus.FAILED),
        ImportStatus.CHECKING,
    ):
        _guarded(job, lambda: import_check(job))


@db_task(name="imports.run")
def import_run_task(job_id: int, resume: bool = False) -> None:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return
    frm = (ImportStatus.RUNNING,) if resume else (ImportStatus.CHECKED,)
    claimed = resume or import_claim(job, frm, ImportStatus.RUNNING)
    if claimed and job.status == ImportStatus.RUNNING:
        _guarded(job, lambda: import_run(job))


def import_pipeline(job: ImportJob, *, mapping: str = "auto", dry_run: bool = False) -> None:
    """Every step without a person in between (the API): read, map by name or from the
    headers, check and, unless a dry run, run."""
    job = import_read(job)
    if job.status != ImportStatus.MAPPING:
        return
    try:
        job = import_mapping_named(actor=job.user, job=job, name=mapping)
    except ValidationError as exc:
        import_fail(job, "；".join(exc.messages))
        return
    if not import_claim(job, (ImportStatus.MAPPING,), ImportStatus.CHECKING):
        return
    job = import_check(job)
    if dry_run or job.status != ImportStatus.CHECKED:
        return
    if import_claim(job, (ImportStatus.CHECKED,), ImportStatus.RUNNING):
        import_run(job)


@db_task(name="imports.pipeline")
def import_pipeline_task(job_id: int, mapping: str = "auto", dry_run: bool = False) -> None:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job and import_claim(job, (ImportStatus.UPLOADED,), ImportStatus.READING):
        _guarded(job, lambda: import_pipeline(job, mapping=mapping, dry_run=dry_run))
