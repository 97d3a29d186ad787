"""Deciding what each row of a customer file would do: new, update (it matches a
customer the importer may change), duplicate (it matches a row above, or a customer
the importer may not change) or error — in chunks, with one query per kind of key per
chunk against the existing customers (the keys of kehu.customers.duplicates).

The dry run (``import_check``) records the rows that are not simply new, with their
cells, for the error report; the run (kehu.imports.running) plans each chunk again
(the database may have changed since) and writes it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import Role, User
from kehu.customers.access import can_write, visibility_q
from kehu.customers.models import Customer, CustomerPhone
from kehu.customers.selectors import custom_field_definitions
from kehu.customers.services import PreparedCustomer, customer_prepare
from kehu.imports.customer_rows import CustomerRow, customer_row
from kehu.imports.fields import field_by_key
from kehu.imports.mapping import CUSTOM_PREFIX
from kehu.imports.models import (
    DuplicatePolicy,
    ImportJob,
    ImportRow,
    ImportStatus,
    OwnerRule,
    RowOutcome,
)
from kehu.imports.readers import FileRejected, Row, Table, open_table

CHUNK = 500
Progress = Callable[[float], None]


@dataclass
class Planned:
    number: int
    cells: list[Any]
    outcome: str
    error: str = ""
    row: CustomerRow | None = None
    prepared: PreparedCustomer | None = None
    match_id: int | None = None
    version: int | None = None  # the record's version after the run wrote it
    old: dict[str, Any] | None = None  # what an update replaced


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


class CustomerPlanner:
    """Plans the rows of one job, chunk after chunk (it remembers the keys of the rows
    above, to find duplicates inside the file, and whose turn it is in a team)."""

    def __init__(self, job: ImportJob):
        self.job = job
        self.actor: User = job.user
        self.definitions = custom_field_definitions()
        self.seen: dict[tuple[str, str], int] = {}
        self.owners_ok: set[int | None] = set()
        self.users: dict[str, User | None] = {}
        self.turn = 0
        self.team: list[User] = []
        if job.owner_rule == OwnerRule.TEAM and job.owner_team_id:
            self.team = list(
                User.objects.filter(
                    team_id=job.owner_team_id,
                    is_active=True,
                    role__in=(Role.SALES, Role.MANAGER),
                ).order_by("id")
            )

    # --- owners ------------------------------------------------------------------

    def _user_named(self, text: str) -> User | None:
        if text not in self.users:
            self.users[text] = (
                User.objects.filter(Q(username=text) | Q(display_name=text), is_active=True)
                .order_by("id")
                .first()
            )
        return self.users[text]

    def owner_for(self, row: CustomerRow) -> User | None:
        rule = self.job.owner_rule
        if rule == OwnerRule.POOL:
            return None
        if rule == OwnerRule.USER and self.job.owner_user is not None:
            return self.job.owner_user
        if rule == OwnerRule.TEAM and self.team:
            member = self.team[self.turn % len(self.team)]
            self.turn += 1
            return member
        if rule == OwnerRule.COLUMN and row.owner_text:
            owner = self._user_named(row.owner_text)
            if owner is None:
                raise ValidationError(
                    {"owner": [_("找不到负责人“%(name)s”。") % {"name": row.owner_text[:50]}]}
                )
            return owner
        return self.actor

    # --- planning ----------------------------------------------------------------

    def _prepare(self, raw: Row) -> Planned:
        cells = list(raw.cells)
        if raw.error:
            return Planned(raw.number, cells, RowOutcome.ERROR, raw.error)
        job = self.job
        try:
            row = customer_row(job.mapping, job.headers, cells, job.value_mapping or {})
            owner = self.owner_for(row)
            key = owner.pk if owner else None
            prepared = customer_prepare(
                actor=self.actor,
                data=row.data,
                phones=row.phones,
                tags=row.tags,
                custom_fields=row.custom_fields,
                owner=owner,
                contacts=row.contacts,
                definitions=self.definitions,
                owner_checked=key in self.owners_ok,
            )
            self.owners_ok.add(key)
        except ValidationError as exc:
            return Planned(raw.number, cells, RowOutcome.ERROR, error_text(job, exc))
        except PermissionDenied:
            return Planned(raw.number, cells, RowOutcome.ERROR, _("您无权创建客户。"))
        return Planned(raw.number, cells, RowOutcome.NEW, row=row, prepared=prepared)

    def plan(self, rows: list[Row]) -> list[Planned]:
        plans = [self._prepare(raw) for raw in rows]
        good = [p for p in plans if p.row is not None]
        matches = self._matches([k for p in good for k in p.row.match_keys()])  # type: ignore[union-attr]
        found = {m for ids in matches.values() for m in ids}
        customers = {
            c.pk: c for c in Customer.objects.filter(pk__in=found).only("id", "owner_id", "team_id")
        }
        visible = set(
            Customer.objects.filter(visibility_q(self.actor), pk__in=found).values_list(
                "pk", flat=True
            )
        )
        create_anyway = self.job.policy == DuplicatePolicy.CREATE
        for plan in good:
            keys = plan.row.match_keys()  # type: ignore[union-attr]
            above = next((self.seen[k] for k in keys if k in self.seen), None)
            if above is not None and not create_anyway:
                plan.outcome = RowOutcome.DUPLICATE
                plan.error = _("与文件第 %(row)d 行是同一客户。") % {"row": above}
                continue
            existing = next((i for k in keys for i in matches.get(k, ())), None)
            if existing is not None and not create_anyway:
                customer = customers[existing]
                if existing in visible and can_write(self.actor, customer):
                    plan.outcome = RowOutcome.UPDATE
                    plan.match_id = existing
                elif existing in visible and customer.owner_id is None:
                    plan.outcome = RowOutcome.DUPLICATE
                    plan.error = _("已存在（在公海中，请先领取）")
                else:
                    plan.outcome = RowOutcome.DUPLICATE
                    plan.error = _("已存在（其他人的客户）")
            for key in keys:
                self.seen.setdefault(key, plan.number)
        return plans

    def _matches(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], list[int]]:
        """Existing live customers by key, three queries for the whole chunk."""
        out: dict[tuple[str, str], list[int]] = {}
        phones = sorted({v for k, v in keys if k == "phone"})
        emails = sorted({v for k, v in keys if k == "email"})
        names = {v for k, v in keys if k == "name"}
        if phones:
            for number, cid in CustomerPhone.objects.filter(
                number__in=phones, customer__deleted_at__isnull=True
            ).values_list("number", "customer_id"):
                out.setdefault(("phone", number), []).append(cid)
        if emails:
            for email, cid in (
                Customer.objects.alive().filter(email__in=emails).values_list("email", "pk")
            ):
                out.setdefault(("email", email), []).append(cid)
        if names:
            name_keys = sorted({n.split("\x1f", 1)[1] for n in names})
            for city, key, cid in (
                Customer.objects.alive()
                .filter(kind="company", name_key__in=name_keys)
                .values_list("city", "name_key", "pk")
            ):
                if f"{city}\x1f{key}" in names:
                    out.setdefault(("name", f"{city}\x1f{key}"), []).append(cid)
        for ids in out.values():
            ids.sort()
        return out


def row_record(job: ImportJob, plan: Planned, *, done: bool) -> ImportRow:
    keep_cells = plan.outcome in (RowOutcome.ERROR, RowOutcome.DUPLICATE, RowOutcome.SKIPPED)
    return ImportRow(
        job=job,
        number=plan.number,
        outcome=plan.outcome,
        done=done,
        error=plan.error,
        cells=plan.cells if keep_cells else None,
        target_model="customers.customer" if plan.match_id else "",
        target_id=plan.match_id,
    )


def _progress_save(job: ImportJob, done: int, **extra: Any) -> None:
    total = job.total_rows or 0
    fraction = min(0.99, done / total) if total else 0.5
    ImportJob.objects.filter(pk=job.pk).update(
        progress=fraction, updated_at=timezone.now(), **extra
    )


def import_check(job: ImportJob, *, progress: Progress | None = None) -> ImportJob:
    """The dry run: plan every row, count, keep the rows that are not simply new."""
    ImportRow.objects.filter(job=job, done=False).delete()
    counts = dict.fromkeys(RowOutcome.values, 0)
    planner = CustomerPlanner(job)
    seen = 0
    try:
        with job_table(job) as table:
            for chunk in chunks(table.rows):
                plans = planner.plan(chunk)
                with transaction.atomic():
                    ImportRow.objects.bulk_create(
                        [row_record(job, p, done=False) for p in plans if p.outcome != "new"],
                        batch_size=CHUNK,
                    )
                for plan in plans:
                    counts[plan.outcome] += 1
                seen += len(chunk)
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
    )
    job.refresh_from_db()
    return job


def import_fail(job: ImportJob, message: str) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.FAILED, message=message[:5000], updated_at=timezone.now()
    )
    job.refresh_from_db()
    return job


__all__ = ["CustomerPlanner", "Planned", "import_check", "import_fail", "job_table"]
