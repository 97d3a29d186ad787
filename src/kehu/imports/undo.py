"""Undo a whole import (admins): the customers it created are deleted (soft, as
``customer_delete`` does: an admin can restore them), those it updated get their old
values back. A record changed since the import (its version moved on) is listed and
left alone, unless the admin forces it."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from kehu.accounts.models import User
from kehu.core.errors import KehuError
from kehu.customers.models import Customer
from kehu.customers.services import customer_delete, customer_update
from kehu.imports.access import can_undo
from kehu.imports.models import ImportJob, ImportRow, ImportStatus, RowOutcome
from kehu.imports.services import ImportStateError


@dataclass
class UndoResult:
    removed: int = 0
    restored: int = 0
    changed: list[tuple[int, int, str]] = field(default_factory=list)  # row, id, name

    @property
    def left(self) -> int:
        return len(self.changed)


def import_undo(*, actor: User, job: ImportJob, force: bool = False) -> UndoResult:
    if not can_undo(actor):
        raise PermissionDenied
    if job.status != ImportStatus.DONE:
        from django.utils.translation import gettext as _

        raise ImportStateError(_("只有已完成的导入可以撤销。"))
    rows = list(
        ImportRow.objects.filter(
            job=job, done=True, outcome__in=(RowOutcome.NEW, RowOutcome.UPDATE)
        ).exclude(target_id=None)
    )
    if job.kind in ("products", "orders", "interactions"):
        return _products_undo(actor, job, rows, force=force)
    current = {
        c.pk: c
        for c in Customer.objects.filter(
            pk__in=[r.target_id for r in rows], deleted_at__isnull=True
        ).only("id", "name", "version", "owner_id", "team_id", "deleted_at")
    }
    result = UndoResult()
    with transaction.atomic():
        for row in rows:
            customer = current.get(row.target_id or 0)
            if customer is None:
                continue  # deleted since: nothing left to undo
            if customer.version != row.target_version and not force:
                result.changed.append((row.number, customer.pk, customer.name))
                continue
            try:
                with transaction.atomic():
                    if row.outcome == RowOutcome.NEW:
                        customer_delete(actor=actor, customer=customer, version=customer.version)
                        result.removed += 1
                    else:
                        old = row.old_values or {}
                        customer_update(
                            actor=actor,
                            customer=customer,
                            version=customer.version,
                            data=old.get("data") or {},
                            phones=old.get("phones"),
                            tags=old.get("tags"),
                            custom_fields=old.get("custom_fields"),
                        )
                        result.restored += 1
            except (KehuError, PermissionDenied):
                result.changed.append((row.number, customer.pk, customer.name))
        if not result.changed:
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportStatus.UNDONE,
                undone_at=timezone.now(),
                undone_by=actor,
                updated_at=timezone.now(),
            )
    job.refresh_from_db()
    return result


def _products_undo(
    actor: User, job: ImportJob, rows: list[ImportRow], *, force: bool
) -> UndoResult:
    from kehu.imports.interaction_rows import interaction_undo
    from kehu.imports.order_rows import order_undo
    from kehu.imports.product_rows import product_undo

    undo = {"orders": order_undo, "interactions": interaction_undo}.get(job.kind, product_undo)
    if job.kind == "orders":  # the rows of one order name it once
        rows = list({row.target_id: row for row in reversed(rows)}.values())[::-1]
    result = UndoResult()
    with transaction.atomic():
        for row in rows:
            if undo(row, actor, force=force):
                if row.outcome == RowOutcome.NEW:
                    result.removed += 1
                else:
                    result.restored += 1
            else:
                result.changed.append((row.number, row.target_id or 0, ""))
        if not result.changed:
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportStatus.UNDONE, undone_at=timezone.now(), undone_by=actor
            )
    job.refresh_from_db()
    return result
