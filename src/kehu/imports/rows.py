"""What the steps of an import share: a row as planned (``Planned``), the file as a
table, chunks of rows, the record of a row and a failed job."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from kehu.imports.fields import BOOL, CHOICE, DATE, DECIMAL, field_by_key
from kehu.imports.mapping import CUSTOM_PREFIX, choice_for
from kehu.imports.models import ImportJob, ImportRow, ImportStatus, RowOutcome
from kehu.imports.readers import Row, Table, open_table
from kehu.imports.values import BadValue, as_bool, as_decimal, as_moment, as_text

CHUNK = 500
TARGETS = {
    "customers": "customers.customer",
    "products": "orders.product",
    "orders": "orders.order",
    "interactions": "interactions.interaction",
}


@dataclass
class Planned:
    number: int
    cells: list[Any]
    outcome: str
    error: str = ""
    row: Any = None  # a CustomerRow
    prepared: Any = None  # a PreparedCustomer
    match_id: int | None = None
    version: int | None = None  # the record's version after the run wrote it
    old: dict[str, Any] | None = None  # what an update replaced
    data: dict[str, Any] | None = None  # a product row's values
    stored: dict[str, Any] | None = None  # a customer row's plan, checked by a worker


class Rollback(Exception):
    """Raised inside a dry run's savepoint to undo what the service wrote."""


def row_values(
    job: ImportJob, cells: list[Any], *, limit: int = 200, joined: frozenset[str] = frozenset()
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """A row of an orders, interactions or products file read through the job's
    mapping, each cell as its field reads (money, a moment, yes/no, a choice, text up
    to ``limit``): the values by field and the errors by header. A field in ``joined``
    may fill several columns, joined a line each (notes)."""
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {}
    mapping, value_mapping = job.mapping or {}, job.value_mapping or {}
    for index, header in enumerate(job.headers):
        key = mapping.get(header, "")
        spec = field_by_key(job.kind, key)
        if spec is None:
            continue
        cell = cells[index] if index < len(cells) else None
        try:
            if not as_text(cell):
                continue
            value: Any
            if spec.reads == DECIMAL:
                value = as_decimal(cell)
            elif spec.reads == DATE:
                value = as_moment(cell)
            elif spec.reads == BOOL:
                value = as_bool(cell)
            elif spec.reads == CHOICE:
                value = choice_for(spec, as_text(cell, limit=100), value_mapping)
            else:
                value = as_text(cell, limit=limit)
        except BadValue as exc:
            errors.setdefault(header, []).append(str(exc))
        except ValidationError as exc:
            errors.setdefault(header, []).extend(exc.messages)
        else:
            data[key] = f"{data[key]}\n{value}" if key in joined and key in data else value
    return data, errors


def job_path(job: ImportJob) -> Path:
    return Path(settings.VAR_DIR) / job.file_path


def job_table(job: ImportJob) -> Table:
    return open_table(job_path(job), sheet=job.sheet or None)


def chunks(rows: Iterable[Row], size: int = CHUNK) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def error_text(job: ImportJob, exc: ValidationError) -> str:
    """Every message of ``exc``, each after the column (or field) it is about."""
    by_field = {key: header for header, key in (job.mapping or {}).items() if key}
    parts = []
    if not hasattr(exc, "error_dict"):
        return "；".join(exc.messages)
    for key, messages in exc.message_dict.items():
        if key in job.headers:
            where = key
        elif key in by_field:
            where = by_field[key]
        elif key.startswith("custom_") and CUSTOM_PREFIX + key[7:] in by_field:
            where = by_field[CUSTOM_PREFIX + key[7:]]
        elif key == "__all__":
            where = ""
        else:
            spec = field_by_key(job.kind, key)
            where = str(spec.label) if spec else key
        text = " ".join(messages)
        parts.append(f"{where}：{text}" if where else text)
    return "；".join(parts)


def record_values(job: ImportJob, plan: Planned, *, done: bool) -> dict[str, Any]:
    """The record of a row as ``ImportRow`` values (for ``rows_insert``)."""
    keep_cells = plan.outcome in (RowOutcome.ERROR, RowOutcome.DUPLICATE, RowOutcome.SKIPPED)
    return {
        "job_id": job.pk,
        "number": plan.number,
        "outcome": plan.outcome,
        "done": done,
        "error": plan.error,
        "cells": plan.cells if keep_cells else None,
        "target_model": TARGETS.get(job.kind, "") if plan.match_id else "",
        "target_id": plan.match_id,
    }


def row_record(job: ImportJob, plan: Planned, *, done: bool) -> ImportRow:
    return ImportRow(**record_values(job, plan, done=done))


def import_fail(job: ImportJob, message: str) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.FAILED, message=message[:5000], updated_at=timezone.now()
    )
    job.refresh_from_db()
    return job
