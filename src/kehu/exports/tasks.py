"""Big exports on the job queue, and the periodic clean-up of expired files."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from huey.contrib.djhuey import db_task

from kehu.exports.models import ExportRecord, ExportStatus
from kehu.exports.services import ExportPlan, export_record_create, export_run, exports_expire
from kehu.jobs.schedule import Every, periodic_job


@db_task(name="exports.run")
def export_run_task(record_id: int) -> None:
    """Write one big export's file (``services.export_run``)."""
    export_run(record_id)


@periodic_job("exports_expire", Every(10), lease=dt.timedelta(hours=1))
def exports_expire_job() -> dict[str, Any]:
    """Delete export files whose download link has expired."""
    return {"expired": exports_expire()}


def export_enqueue(plan: ExportPlan, *, via: str = "web") -> ExportRecord:
    """Record a big export as queued and hand it to the job queue once committed."""
    with transaction.atomic():
        record = export_record_create(
            plan, via=via, status=ExportStatus.QUEUED, rows_total=plan.count
        )
        transaction.on_commit(lambda: export_run_task(record.pk))
    return record
