"""The run: every chunk of rows planned again and written in one transaction with its
``ImportRow`` records, so a worker killed half-way resumes at the first chunk not
committed and never writes a row twice. All-or-nothing runs the whole file in one
transaction and writes nothing when any row has an error."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.errors import KehuError
from kehu.core.sql import rows_insert
from kehu.customers.bulk_create import customers_create_many
from kehu.customers.models import Customer
from kehu.customers.services import EDITABLE_FIELDS, customer_update
from kehu.imports.checking import (
    CHUNK,
    Planned,
    error_text,
    import_fail,
    job_table,
    keep_plans,
    planner_chunks,
    planner_for,
    row_record,
)
from kehu.imports.models import (
    ROW_FIELDS,
    DuplicatePolicy,
    ImportJob,
    ImportRow,
    ImportStatus,
    RowOutcome,
)
from kehu.imports.plans import plan_key
from kehu.imports.readers import FileRejected

Progress = Callable[[float], None]


class _AllOrNothing(Exception):
    def __init__(self, counts: Counter[str]):
        self.counts = counts


def _empty(value: Any) -> bool:
    return value in (None, "", [], {})


def _update(job: ImportJob, plan: Planned) -> None:
    """Apply the row to the customer it matched, as the policy says; keep the values
    it replaces in the plan (for undo)."""
    assert plan.row is not None and plan.match_id is not None
    customer = Customer.objects.get(pk=plan.match_id)
    fill = job.policy == DuplicatePolicy.FILL
    data = {
        key: value
        for key, value in plan.row.data.items()
        if key in EDITABLE_FIELDS
        and not _empty(value)
        and getattr(customer, key) != value
        and not (fill and not _empty(getattr(customer, key)))
    }
    old_phones = list(
        customer.phones.order_by("-is_primary", "id").values_list("number", flat=True)
    )
    new_phones = [n for n in plan.row.phones if n not in old_phones]
    old_tags = sorted(customer.tags.values_list("name", flat=True))
    new_tags = [t for t in plan.row.tags if t not in old_tags]
    existing_custom = customer.custom_fields or {}
    custom = {
        key: value
        for key, value in plan.row.custom_fields.items()
        if existing_custom.get(key) != value and not (fill and not _empty(existing_custom.get(key)))
    }
    if not (data or new_phones or new_tags or custom):
        plan.outcome = RowOutcome.SKIPPED
        plan.error = _("已存在，没有需要更新的内容。")
        return
    old: dict[str, Any] = {"data": {key: getattr(customer, key) for key in data}}
    if new_phones:
        old["phones"] = old_phones
    if new_tags:
        old["tags"] = old_tags
    if custom:
        old["custom_fields"] = {key: existing_custom.get(key) for key in custom}
    with transaction.atomic():
        saved = customer_update(
            actor=job.user,
            customer=customer,
            version=customer.version,
            data=data,
            phones=[*old_phones, *new_phones] if new_phones else None,
            tags=[*old_tags, *new_tags] if new_tags else None,
            custom_fields=custom or None,
        )
    plan.version = saved.version
    plan.old = old


def _write(job: ImportJob, plans: list[Planned]) -> list[ImportRow]:
    if job.kind == "products":
        from kehu.imports.product_rows import products_write

        products_write(job, plans)
        records = [row_record(job, plan, done=True) for plan in plans]
        for plan, record in zip(plans, records, strict=True):
            if plan.outcome in (RowOutcome.NEW, RowOutcome.UPDATE):
                record.target_model, record.target_id = "orders.product", plan.match_id
                record.target_version, record.old_values = plan.version, plan.old
        return records
    if job.kind == "orders":
        from kehu.imports.order_rows import orders_write

        orders_write(job, plans)
        records = [row_record(job, plan, done=True) for plan in plans]
        for plan, record in zip(plans, records, strict=True):
            if plan.outcome in (RowOutcome.NEW, RowOutcome.UPDATE):
                record.target_model, record.target_id = "orders.order", plan.match_id
                record.target_version = plan.version
        return records
    if job.kind == "interactions":
        from kehu.imports.interaction_rows import interactions_write

        interactions_write(job, plans)
        return [row_record(job, plan, done=True) for plan in plans]
    policy = job.policy
    records = []
    new = [p for p in plans if p.outcome == RowOutcome.NEW]
    created = customers_create_many(actor=job.user, prepared=[p.prepared for p in new])  # type: ignore[misc]
    for plan, customer in zip(new, created, strict=True):
        plan.match_id = customer.pk
    for plan in plans:
        if plan.outcome == RowOutcome.UPDATE:
            if policy == DuplicatePolicy.SKIP:
                plan.outcome = RowOutcome.SKIPPED
                plan.error = _("已存在（按设置跳过）")
            else:
                try:
                    _update(job, plan)
                except ValidationError as exc:
                    plan.outcome, plan.error = RowOutcome.ERROR, error_text(job, exc)
                except (KehuError, PermissionDenied) as exc:
                    plan.outcome, plan.error = RowOutcome.ERROR, str(exc) or _("无权修改。")
        record = row_record(job, plan, done=True)
        if plan.outcome == RowOutcome.NEW:
            record.target_model, record.target_id, record.target_version = (
                "customers.customer",
                plan.match_id,
                1,
            )
        elif plan.outcome == RowOutcome.UPDATE:
            record.target_version = plan.version
            record.old_values = plan.old
        records.append(record)
    return records


def _chunk(
    job: ImportJob, plan: Callable[[list[Any]], list[Planned]], rows: list[Any]
) -> Counter[str]:
    plans = plan(rows)
    records = _write(job, plans)
    numbers = [r.number for r in records]
    ImportRow.objects.filter(job=job, number__in=numbers, done=False).delete()
    rows_insert(ImportRow, [{name: getattr(r, name) for name in ROW_FIELDS} for r in records])
    counts = Counter(r.outcome for r in records)
    written = counts[RowOutcome.NEW] + counts[RowOutcome.UPDATE]
    ImportJob.objects.filter(pk=job.pk).update(
        written_count=F("written_count") + written,
        updated_at=timezone.now(),
    )
    return counts


STORED_CHUNK = CHUNK * 4


def _stored(job: ImportJob) -> Iterator[list[Any]]:
    """The dry run's records not yet written (number, outcome, error, cells, plan), in
    the file's order, a chunk at a time: each chunk's records are replaced by the run's
    in the transaction that writes it. Four times the file path's chunk: a commit costs
    SQLite ~90 ms, and nothing here is read or checked row by row."""
    last = 0
    while chunk := list(
        ImportRow.objects.filter(job=job, done=False, number__gt=last)
        .order_by("number")
        .values_list("number", "outcome", "error", "cells", "plan", named=True)[:STORED_CHUNK]
    ):
        last = chunk[-1].number
        yield chunk


def import_run(
    job: ImportJob, *, progress: Progress | None = None, max_chunks: int | None = None
) -> ImportJob:
    """Write the rows not yet written. ``max_chunks`` stops early (as a killed worker
    would): running again carries on from there."""
    if job.started_at is None:
        ImportJob.objects.filter(pk=job.pk).update(started_at=timezone.now())
    done = set(ImportRow.objects.filter(job=job, done=True).values_list("number", flat=True))
    planner = planner_for(job, check=False)
    stored = keep_plans(job) and bool(job.plan_key) and job.plan_key == plan_key(job)
    plan = planner.plan_stored if stored else planner.plan
    totals: Counter[str] = Counter()
    seen = len(done) if stored else 0
    total = job.total_rows or 0

    def step(rows: list[Any]) -> None:
        nonlocal seen
        todo = [r for r in rows if r.number not in done]
        seen += len(rows)
        if todo:
            if job.all_or_nothing:
                totals.update(_chunk(job, plan, todo))
            else:
                with transaction.atomic():
                    totals.update(_chunk(job, plan, todo))
        fraction = min(0.99, seen / total) if total else 0.5
        ImportJob.objects.filter(pk=job.pk).update(progress=fraction)
        if progress:
            progress(fraction)

    def write_all(source: Iterable[list[Any]]) -> bool:
        """Every chunk of ``source``; False when stopped at ``max_chunks``."""
        if job.all_or_nothing:
            with transaction.atomic():
                for rows in source:
                    step(rows)
                if totals[RowOutcome.ERROR]:
                    raise _AllOrNothing(totals)
            return True
        for index, rows in enumerate(source):
            if max_chunks is not None and index >= max_chunks:
                return False
            step(rows)
        return True

    try:
        if stored:
            finished = write_all(_stored(job))
        else:
            with job_table(job) as table:
                finished = write_all(planner_chunks(planner, table.rows))
        if not finished:
            job.refresh_from_db()
            return job
    except FileRejected as exc:
        return import_fail(job, exc.message)
    except _AllOrNothing as stop:
        return import_fail(
            job,
            _("%(n)d 行有错误，按“全部成功才导入”的设置，没有导入任何数据。")
            % {"n": stop.counts[RowOutcome.ERROR]},
        )
    return import_finish(job)


def import_finish(job: ImportJob) -> ImportJob:
    """Counts from the rows recorded (whatever number of runs it took)."""
    counts = Counter(ImportRow.objects.filter(job=job, done=True).values_list("outcome", flat=True))
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE,
        new_count=counts[RowOutcome.NEW],
        update_count=counts[RowOutcome.UPDATE],
        duplicate_count=counts[RowOutcome.DUPLICATE] + counts[RowOutcome.SKIPPED],
        error_count=counts[RowOutcome.ERROR],
        written_count=counts[RowOutcome.NEW] + counts[RowOutcome.UPDATE],
        progress=1.0,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    job.refresh_from_db()
    return job
