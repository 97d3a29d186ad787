"""Products from a file: each row checked by the product services themselves (created
or updated inside a savepoint that is rolled back, in the dry run), matched to the
catalogue by SKU (货号), written by ``product_create`` / ``product_update``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.core.errors import KehuError
from kehu.imports.models import DuplicatePolicy, ImportJob, RowOutcome
from kehu.imports.readers import Row
from kehu.imports.rows import Planned, Rollback, error_text, row_values
from kehu.orders.models import Product
from kehu.orders.services import product_create, product_update


def product_data(job: ImportJob, cells: list[Any]) -> dict[str, Any]:
    data, errors = row_values(job, cells)
    if errors:
        raise ValidationError(errors)
    return data


class ProductPlanner:
    def __init__(self, job: ImportJob, *, check: bool = True):
        self.job = job
        self.check = check  # run the service in a rolled-back savepoint (the dry run)
        self.seen: dict[str, int] = {}

    def _check(self, data: dict[str, Any], existing: Product | None) -> None:
        """The service's own checks: the write, rolled back."""
        try:
            with transaction.atomic():
                if existing is None:
                    product_create(actor=self.job.user, data=data)
                else:
                    product_update(actor=self.job.user, product=existing, data=data)
                raise Rollback
        except Rollback:
            pass

    def plan(self, rows: list[Row]) -> list[Planned]:
        plans: list[Planned] = []
        parsed: list[tuple[Planned, dict[str, Any]]] = []
        for raw in rows:
            plan = Planned(raw.number, list(raw.cells), RowOutcome.NEW)
            plans.append(plan)
            if raw.error:
                plan.outcome, plan.error = RowOutcome.ERROR, raw.error
                continue
            try:
                parsed.append((plan, product_data(self.job, plan.cells)))
            except ValidationError as exc:
                plan.outcome, plan.error = RowOutcome.ERROR, error_text(self.job, exc)
        skus = {d["sku"] for _p, d in parsed if d.get("sku")}
        existing = {p.sku: p for p in Product.objects.filter(sku__in=skus)}
        for plan, data in parsed:
            plan.data = data
            sku = data.get("sku", "")
            if sku and sku in self.seen:
                plan.outcome = RowOutcome.DUPLICATE
                plan.error = _("与文件第 %(row)d 行是同一商品。") % {"row": self.seen[sku]}
                continue
            if sku:
                self.seen[sku] = plan.number
            match = existing.get(sku) if sku else None
            try:
                if self.check:
                    self._check(data if match else {"name": "", **data}, match)
            except ValidationError as exc:
                plan.outcome, plan.error = RowOutcome.ERROR, error_text(self.job, exc)
                continue
            except PermissionDenied:
                plan.outcome, plan.error = RowOutcome.ERROR, _("您无权管理商品。")
                continue
            if match is not None:
                plan.outcome, plan.match_id = RowOutcome.UPDATE, match.pk
        return plans


def _empty(value: Any) -> bool:
    return value in (None, "") or value == Decimal(0)


def products_write(job: ImportJob, plans: list[Planned]) -> None:
    """Write the planned rows (outcomes and targets updated in the plans)."""
    for plan in plans:
        data = plan.data or {}
        try:
            if plan.outcome == RowOutcome.NEW:
                with transaction.atomic():
                    product = product_create(actor=job.user, data=data)
                plan.match_id, plan.version = product.pk, product.version
            elif plan.outcome == RowOutcome.UPDATE:
                if job.policy == DuplicatePolicy.SKIP:
                    plan.outcome, plan.error = RowOutcome.SKIPPED, _("已存在（按设置跳过）")
                    continue
                product = Product.objects.get(pk=plan.match_id or 0)
                fill = job.policy == DuplicatePolicy.FILL
                change = {
                    k: v
                    for k, v in data.items()
                    if getattr(product, k) != v and not (fill and not _empty(getattr(product, k)))
                }
                if not change:
                    plan.outcome = RowOutcome.SKIPPED
                    plan.error = _("已存在，没有需要更新的内容。")
                    continue
                plan.old = {"data": {k: getattr(product, k) for k in change}}
                with transaction.atomic():
                    saved = product_update(
                        actor=job.user, product=product, data=change, version=product.version
                    )
                plan.version = saved.version
        except ValidationError as exc:
            plan.outcome, plan.error = RowOutcome.ERROR, error_text(job, exc)
        except (KehuError, PermissionDenied) as exc:
            plan.outcome, plan.error = RowOutcome.ERROR, str(exc) or _("无权修改。")


def product_undo(row: Any, actor: Any, *, force: bool) -> bool:
    """Undo one row: a created product is taken off sale, an updated one gets its old
    values back. False when it changed since (and not ``force``)."""
    product = Product.objects.filter(pk=row.target_id).first()
    if product is None:
        return True
    if product.version != row.target_version and not force:
        return False
    if row.outcome == RowOutcome.NEW:
        data: dict[str, Any] = {"is_active": False}
    else:
        data = dict((row.old_values or {}).get("data") or {})
        for key in ("price", "unit_cost"):
            if key in data and data[key] is not None:
                data[key] = Decimal(str(data[key]))
    with transaction.atomic():
        product_update(actor=actor, product=product, data=data, version=product.version)
    return True
