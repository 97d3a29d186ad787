"""Orders from a file: rows with the same 订单号 are one order with several lines, and
succeed or fail together. Every order is checked and written by ``orders_ingest``,
the service the API pushes orders through (in the dry run inside a savepoint that is
rolled back), so lifecycle, value and care react to an imported order as to a pushed
one. The customer is found by ``CustomerFinder`` (phone, e-mail, external id or
name, among those the importer may see). Undo cancels the orders (``sale_cancel``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.core.errors import KehuError
from kehu.imports.customer_match import CustomerFinder, CustomerNotFound
from kehu.imports.models import DuplicatePolicy, ImportJob, RowOutcome
from kehu.imports.readers import Row
from kehu.imports.rows import CHUNK, Planned, Rollback, error_text, row_values
from kehu.imports.values import BadValue, as_text
from kehu.orders.models import Order, Product
from kehu.orders.sales import sale_cancel
from kehu.orders.services import IngestResult, LineData, OrderData, Outcome, orders_ingest

IMPORT_SOURCE = "import"  # the source of imported orders (their key is (source, 订单号))


def _order_key(job: ImportJob, cells: list[Any]) -> str:
    for index, header in enumerate(job.headers):
        if (job.mapping or {}).get(header) == "external_id":
            cell = cells[index] if index < len(cells) else None
            try:
                return as_text(cell, limit=200)
            except BadValue:
                return ""
    return ""


def order_chunks(job: ImportJob, rows: Iterable[Row], size: int = CHUNK) -> Iterator[list[Row]]:
    """Chunks of about ``size`` rows that never split the rows of one order (adjacent
    rows with the same 订单号), so an order is written, or resumed, whole."""
    chunk: list[Row] = []
    last = None
    for row in rows:
        key = _order_key(job, list(row.cells))
        if len(chunk) >= size and (not key or key != last):
            yield chunk
            chunk = []
        chunk.append(row)
        last = key
    if chunk:
        yield chunk


def order_row(job: ImportJob, cells: list[Any]) -> dict[str, Any]:
    """The row's values by field; ``ValidationError`` keyed by header."""
    data, errors = row_values(job, cells)
    if not data.get("external_id") and "external_id" not in errors:
        errors.setdefault("external_id", []).append(_("必须填写订单号。"))
    if not data.get("ordered_at") and not errors:
        errors.setdefault("ordered_at", []).append(_("必须填写下单时间。"))
    if errors:
        raise ValidationError(errors)
    return data


@dataclass
class _Group:
    key: str
    plans: list[Planned] = field(default_factory=list)
    error: str = ""
    bad_row: int | None = None
    item: OrderData | None = None


class OrderPlanner:
    def __init__(self, job: ImportJob, *, check: bool = True):
        self.job = job
        self.check = check  # run the service in a rolled-back savepoint (the dry run)
        self.finder = CustomerFinder(job.user)
        self.seen: dict[str, int] = {}  # 订单号 → its first row, in chunks above

    def _products(self, texts: set[str]) -> dict[str, tuple[str, Any]]:
        """Each product text as the service's reference: a SKU, or the id of the one
        product of that name (an unknown text goes as a SKU: the service says so)."""
        refs: dict[str, tuple[str, Any]] = {t: ("sku", t) for t in texts}
        skus = set(Product.objects.filter(sku__in=texts).values_list("sku", flat=True))
        names: dict[str, list[int]] = {}
        for pk, name in Product.objects.filter(name__in=texts - skus, is_active=True).values_list(
            "pk", "name"
        ):
            names.setdefault(name, []).append(pk)
        for name, ids in names.items():
            if len(ids) == 1:
                refs[name] = ("id", ids[0])
        return refs

    def _item(self, group: _Group, refs: dict[str, tuple[str, Any]]) -> OrderData:
        """The group's rows as one order; ``ValueError`` (row, message) when they
        disagree."""
        first = group.plans[0].data or {}
        customer_id = self.finder.customer_id(first.get("customer", ""))
        lines = []
        totals: list[Decimal] = []
        for plan in group.plans:
            data = plan.data or {}
            if data.get("customer", "") != first.get("customer", ""):
                raise _RowError(plan.number, _("同一订单的各行客户不一致。"))
            if "total" in data:
                totals.append(data["total"])
            product = data.get("product")
            if product:
                kind, value = refs[product]
                lines.append(
                    LineData(
                        quantity=data.get("quantity", Decimal(1)),
                        product_id=value if kind == "id" else None,
                        sku=value if kind == "sku" else None,
                        unit_price=data.get("unit_price"),
                        discount=data.get("discount", Decimal("0.00")),
                    )
                )
            elif len(group.plans) > 1 or "quantity" in data or "unit_price" in data:
                raise _RowError(plan.number, _("多行订单的每一行都要填写商品。"))
        with_lines = bool(lines)
        total = None
        if totals and (not with_lines or len(totals) == len(group.plans)):
            total = sum(totals, Decimal(0))
        return OrderData(
            source=IMPORT_SOURCE,
            external_id=group.key,
            ordered_at=first["ordered_at"],
            customer_id=customer_id,
            channel=first.get("channel") or "other",
            payment_status=first.get("payment_status") or None,
            total=total,
            lines=lines,
        )

    def _groups(self, rows: list[Row]) -> tuple[list[Planned], dict[str, _Group]]:
        plans: list[Planned] = []
        groups: dict[str, _Group] = {}
        for raw in rows:
            plan = Planned(raw.number, list(raw.cells), RowOutcome.NEW)
            plans.append(plan)
            if raw.error:
                plan.outcome, plan.error = RowOutcome.ERROR, raw.error
                key = _order_key(self.job, plan.cells)
                if key:
                    bad = groups.setdefault(key, _Group(key))
                    bad.plans.append(plan)
                    bad.error, bad.bad_row = bad.error or raw.error, raw.number
                continue
            key = _order_key(self.job, plan.cells)
            group: _Group | None = groups.setdefault(key, _Group(key)) if key else None
            try:
                plan.data = order_row(self.job, plan.cells)
            except ValidationError as exc:
                plan.outcome, plan.error = RowOutcome.ERROR, error_text(self.job, exc)
                if group is not None:
                    group.plans.append(plan)
                    if group.bad_row is None:
                        group.error, group.bad_row = plan.error, plan.number
                continue
            assert group is not None
            group.plans.append(plan)
        for group in groups.values():
            for plan in group.plans:
                plan.row = group
        return plans, groups

    def chunks(self, rows: Iterable[Row]) -> Iterator[list[Row]]:
        return order_chunks(self.job, rows)

    def plan(self, rows: list[Row]) -> list[Planned]:
        plans, groups = self._groups(rows)
        self.finder.load({(p.data or {}).get("customer", "") for p in plans if p.data})
        refs = self._products(
            {(p.data or {})["product"] for p in plans if (p.data or {}).get("product")}
        )
        existing = {
            o.external_id: o
            for o in Order.objects.filter(source=IMPORT_SOURCE, external_id__in=list(groups))
        }
        ready: list[_Group] = []
        for key, group in groups.items():
            if key in self.seen:
                group.error = _("订单号与文件第 %(row)d 行相同，但不在相邻的行。") % {
                    "row": self.seen[key]
                }
                _fail(group, duplicate=True)
                continue
            self.seen[key] = group.plans[0].number
            if group.bad_row is not None:
                _fail(group)
                continue
            order = existing.get(key)
            if order is not None and not order.is_cancelled:
                group.error = _("订单号 %(key)s 已导入过。") % {"key": key[:64]}
                _fail(group, duplicate=True)
                continue
            try:
                group.item = self._item(group, refs)
            except CustomerNotFound as exc:
                group.error = str(exc)
                _fail(group)
                continue
            except _RowError as exc:
                group.error, group.bad_row = exc.message, exc.row
                _fail(group)
                continue
            if order is not None:  # cancelled (an undone import): imported again
                for plan in group.plans:
                    plan.outcome, plan.match_id = RowOutcome.UPDATE, order.pk
            ready.append(group)
        if ready and self.check:
            self._check(ready)
        return plans

    def _check(self, groups: list[_Group]) -> None:
        """The service's own checks: the batch written, then rolled back."""
        results: list[IngestResult] = []
        try:
            with transaction.atomic():
                results = orders_ingest(actor=self.job.user, items=[g.item for g in groups])  # type: ignore[misc]
                raise Rollback
        except Rollback:
            pass
        except PermissionDenied:
            for group in groups:
                group.error = _("您无权记录订单。")
                _fail(group)
            return
        for group, result in zip(groups, results, strict=True):
            apply_result(self.job, group, result)


class _RowError(Exception):
    def __init__(self, row: int, message: str):
        super().__init__(message)
        self.row, self.message = row, message


def _fail(group: _Group, *, duplicate: bool = False) -> None:
    """Every row of the order fails with it; the report names the row at fault."""
    for plan in group.plans:
        plan.match_id = None
        if plan.outcome == RowOutcome.ERROR and plan.error and plan.number == group.bad_row:
            continue
        if group.bad_row is not None and plan.number != group.bad_row:
            plan.outcome = RowOutcome.ERROR
            plan.error = _("同一订单（订单号 %(key)s）的第 %(row)d 行有错误：%(error)s") % {
                "key": group.key[:64],
                "row": group.bad_row,
                "error": group.error,
            }
        else:
            plan.outcome = RowOutcome.DUPLICATE if duplicate else RowOutcome.ERROR
            plan.error = group.error


_LINE_FIELDS = {"sku": "product", "product_id": "product"}


def apply_result(job: ImportJob, group: _Group, result: IngestResult) -> None:
    """The service's answer for the order, on its rows: an error on a line goes to
    that line's row and column."""
    if result.error is None:
        if result.outcome == Outcome.UNCHANGED and group.plans[0].outcome != RowOutcome.UPDATE:
            group.error = _("订单号 %(key)s 已导入过。") % {"key": group.key[:64]}
            _fail(group, duplicate=True)
        elif result.order_id is not None:
            for plan in group.plans:
                plan.match_id = result.order_id
        return
    error = result.error
    line_rows = [p for p in group.plans if (p.data or {}).get("product")]
    bad_row = group.plans[0].number
    errors: dict[str, list[str]] = {}
    for key, messages in (error.errors or {}).items():
        parts = key.split(".")
        if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit():
            position = int(parts[1])
            if position < len(line_rows):
                bad_row = line_rows[position].number
            errors.setdefault(_LINE_FIELDS.get(parts[2], parts[2]), []).extend(messages)
        elif key == "customer_id":
            errors.setdefault("customer", []).extend(messages)
        else:
            errors.setdefault(key, []).extend(messages)
    group.error = error_text(job, ValidationError(errors)) if errors else error.message
    group.bad_row = bad_row
    _fail(group)


def orders_write(job: ImportJob, plans: list[Planned]) -> None:
    """Write the chunk's orders through ``orders_ingest`` (plans already checked: the
    planner ran the service; what it refuses now is reported on the rows)."""
    groups: dict[str, _Group] = {}
    for plan in plans:
        if plan.outcome == RowOutcome.UPDATE and job.policy == DuplicatePolicy.SKIP:
            plan.outcome, plan.error, plan.match_id = (
                RowOutcome.SKIPPED,
                _("已存在（按设置跳过）"),
                None,
            )
            continue
        if plan.outcome in (RowOutcome.NEW, RowOutcome.UPDATE) and plan.row is not None:
            groups[plan.row.key] = plan.row
    ready = [g for g in groups.values() if g.item is not None]
    if not ready:
        return
    results = orders_ingest(actor=job.user, items=[g.item for g in ready])  # type: ignore[misc]
    for group, result in zip(ready, results, strict=True):
        apply_result(job, group, result)
        for plan in group.plans:
            plan.version = 1 if plan.outcome == RowOutcome.NEW else None


def order_undo(row: Any, actor: Any, *, force: bool) -> bool:
    """Cancel an order the import created (or brought back); False when it changed
    since (and not ``force``), or it cannot be cancelled (a refund)."""
    order = Order.objects.filter(pk=row.target_id).select_related("customer").first()
    if order is None or order.is_cancelled:
        return True
    if row.target_version is not None and order.version != row.target_version and not force:
        return False
    try:
        with transaction.atomic():
            sale_cancel(actor=actor, order=order, version=order.version)
    except (ValidationError, KehuError, PermissionDenied):
        return False
    return True
