"""The dry run: every row of the file planned — new, update (it matches a customer
the importer may change), duplicate (it matches a row above, or a record the importer
may not change) or error — in chunks, by the planner of the job's kind
(``customer_rows.CustomerPlanner``, ``product_rows.ProductPlanner``). It records the
rows that are not simply new, with their cells, for the error report; the run
(kehu.imports.running) writes them — customers from the plans kept here
(kehu.imports.plans), the other kinds planned again from the file — checking again
what the database may have changed since."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from kehu.core.sql import rows_insert
from kehu.imports.customer_rows import CustomerPlanner
from kehu.imports.models import ImportJob, ImportRow, ImportStatus, RowOutcome
from kehu.imports.parallel import planned_chunks, workers_for
from kehu.imports.plans import plan_key
from kehu.imports.product_rows import ProductPlanner
from kehu.imports.readers import FileRejected
from kehu.imports.rows import (
    CHUNK,
    Planned,
    chunks,
    error_text,
    import_fail,
    job_path,
    job_table,
    record_values,
    row_record,
)

Progress = Callable[[float], None]


def planner_for(job: ImportJob, *, check: bool = True) -> Any:
    """The planner of the job's kind (each has ``plan(rows) -> list[Planned]``).
    ``check=False`` for the run: orders, interactions and products are checked by
    their service when written, so the dry run's rolled-back write is not done twice."""
    if job.kind == "products":
        return ProductPlanner(job, check=check)
    if job.kind == "orders":
        from kehu.imports.order_rows import OrderPlanner

        return OrderPlanner(job, check=check)
    if job.kind == "interactions":
        from kehu.imports.interaction_rows import InteractionPlanner

        return InteractionPlanner(job, check=check)
    return CustomerPlanner(job)


def planner_chunks(planner: Any, rows: Any) -> Any:
    """The file in chunks, as the planner wants them (orders keep an order whole)."""
    own = getattr(planner, "chunks", None)
    return own(rows) if own is not None else chunks(rows)


def _progress_save(job: ImportJob, done: int, **extra: Any) -> None:
    total = job.total_rows or 0
    fraction = min(0.99, done / total) if total else 0.5
    ImportJob.objects.filter(pk=job.pk).update(
        progress=fraction, updated_at=timezone.now(), **extra
    )


def keep_plans(job: ImportJob) -> bool:
    """Whether the dry run keeps its row plans for the run (customers: the run then
    writes without checking each row again)."""
    return job.kind == "customers"


def _records(job: ImportJob, planner: Any, plans: list[Planned]) -> list[dict[str, Any]]:
    """The dry run's records: the rows that are not simply new (for the report and the
    counts) and, for customers, every row with its plan."""
    if not keep_plans(job):
        return [record_values(job, p, done=False) for p in plans if p.outcome != RowOutcome.NEW]
    return [{**record_values(job, p, done=False), "plan": planner.dump(p)} for p in plans]


def import_check(job: ImportJob, *, progress: Progress | None = None) -> ImportJob:
    """The dry run: plan every row, count, keep the rows that are not simply new."""
    ImportRow.objects.filter(job=job, done=False).delete()
    counts = dict.fromkeys(RowOutcome.values, 0)
    planner = planner_for(job)
    seen = 0
    try:
        with job_table(job) as table:
            workers = workers_for(planner, table.total or job.total_rows)
            for size, plans in planned_chunks(
                planner, planner_chunks(planner, table.rows), workers
            ):
                with transaction.atomic():
                    rows_insert(ImportRow, _records(job, planner, plans))
                for plan in plans:
                    counts[plan.outcome] += 1
                seen += size
                _progress_save(job, seen)
                if progress:
                    progress(min(1.0, seen / (job.total_rows or seen)))
    except FileRejected as exc:
        return import_fail(job, exc.message)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.CHECKED,
        new_count=counts[RowOutcome.NEW],
        update_count=counts[RowOutcome.UPDATE],
        duplicate_count=counts[RowOutcome.DUPLICATE],
        error_count=counts[RowOutcome.ERROR],
        total_rows=seen,
        progress=1.0,
        checked_at=timezone.now(),
        updated_at=timezone.now(),
        message="",
        plan_key=plan_key(job) if keep_plans(job) else "",
    )
    job.refresh_from_db()
    return job


__all__ = [
    "CHUNK",
    "Planned",
    "chunks",
    "error_text",
    "import_check",
    "import_fail",
    "job_path",
    "job_table",
    "planner_chunks",
    "planner_for",
    "row_record",
]
