"""Every write to products, orders and refunds.

Orders arrive one at a time (``order_upsert``) or in batches (``orders_ingest``);
both go through the same steps, so a single push and a batch of one behave alike:

1. each item is checked on its own (amounts, dates, the choice of references) and
   its content hashed;
2. what the batch names is looked up with a few ``IN`` queries: orders already
   pushed under the same ``(source, external_id)``, customers by id or by their own
   ``(source, external_id)`` (only those the actor may see), products by id or SKU;
3. each item becomes "unchanged" (same hash: nothing is written), "new", "changed"
   or an error (unknown product, customer not visible, ...);
4. new orders and their lines are inserted with one ``executemany`` per table;
   changed ones are updated one by one, each in a savepoint, keeping the previous
   content as an ``OrderRevision``.

Bad items are reported by index and never written; good ones are kept. The whole
batch is one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.events import emit_many
from kehu.core.money import money_display, money_text
from kehu.core.sql import (
    datetime_adapter,
    rows_insert,
    values_insert,
    values_insert_returning,
)
from kehu.orders.access import can_record_orders
from kehu.orders.ingest_plan import _lookups, _Plan, _plan
from kehu.orders.inputs import (
    MAX_BATCH,
    ZERO,
    IngestResult,
    OrderInput,
    OrderItemError,
    Outcome,
    _Clean,
    _clean,
    invalid,
)
from kehu.orders.models import (
    Order,
    OrderLine,
    OrderRevision,
    OrderStatus,
    default_currency,
    effective_status,
)

# --- step 4: writing -----------------------------------------------------------------------


# The columns a new order and its lines are written with, in this order (every column
# of the tables but the id): the rows are built as tuples, not through the generic
# ``rows_insert``, for the thousand rows of a batch.
ORDER_COLUMNS = (
    "created_at",
    "updated_at",
    "customer_id",
    "source",
    "external_id",
    "ordered_at",
    "channel",
    "status",
    "payment_status",
    "currency",
    "total",
    "cost",
    "refunded_total",
    "content_hash",
    "version",
    "created_by_id",
    "updated_by_id",
)
LINE_FIELDS = ("product_id", "quantity", "unit_price", "discount", "unit_cost", "amount")
LINE_COLUMNS = ("order_id", "position", *LINE_FIELDS)


def _write_new(actor: User, plans: Sequence[_Plan]) -> dict[int, int]:
    """Insert orders and their lines; ``{index: order id}`` (the ids come back from
    the insert itself). Raises ``IntegrityError`` when another request inserted one of
    the keys meanwhile."""
    adapt = datetime_adapter()
    now = adapt(timezone.now())
    rows: list[tuple[Any, ...]] = []
    for plan in plans:
        clean = plan.clean
        status = effective_status(clean.status, plan.total, ZERO)
        rows.append(
            (
                now,
                now,
                plan.customer.pk,
                *clean.key,
                adapt(clean.ordered_at),
                clean.channel,
                str(status),
                clean.payment_status,
                clean.currency,
                plan.total,
                plan.cost,
                ZERO,
                clean.content_hash,
                1,
                actor.pk,
                actor.pk,
            )
        )
    written = values_insert_returning(Order, ORDER_COLUMNS, rows, ("source", "external_id", "id"))
    ids = {(source, external_id): pk for source, external_id, pk in written}
    lines: list[tuple[Any, ...]] = []
    for plan in plans:
        order_id = ids[plan.clean.key]
        lines += [(order_id, *line) for line in plan.lines]
    values_insert(OrderLine, LINE_COLUMNS, lines)
    return {plan.clean.index: ids[plan.clean.key] for plan in plans}


def _create(actor: User, plans: list[_Plan]) -> dict[int, int | OrderItemError]:
    """Insert the new orders together, or, when another request inserted one of them
    meanwhile, one by one (that one is reported as a conflict)."""
    done: dict[int, int | OrderItemError] = {}
    try:
        with transaction.atomic():
            done.update(_write_new(actor, plans))
        return done
    except IntegrityError:
        pass
    for plan in plans:
        try:
            with transaction.atomic():
                done.update(_write_new(actor, [plan]))
        except IntegrityError:
            done[plan.clean.index] = OrderItemError(
                "conflict", _("另一个请求同时写入了相同外部编号的订单，请重试。")
            )
    return done


def order_content(order: Order, lines: Iterable[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The order's recorded content, as kept in its revision history. ``lines`` are
    values by attribute name (default: the order's lines as stored)."""
    if lines is None:
        lines = order.lines.order_by("position").values(*LINE_FIELDS)
    return {
        "customer_id": order.customer_id,
        "ordered_at": order.ordered_at.astimezone(dt.UTC).isoformat(),
        "channel": order.channel,
        "status": OrderStatus.CANCELLED if order.is_cancelled else OrderStatus.PAID,
        "payment_status": order.payment_status,
        "currency": order.currency,
        "total": money_text(order.total),
        "cost": money_text(order.cost),
        "lines": [
            {
                "product_id": line["product_id"],
                "quantity": f"{line['quantity']:.3f}",
                "unit_price": money_text(line["unit_price"]),
                "discount": money_text(line["discount"]),
                "unit_cost": money_text(line["unit_cost"]),
                "amount": money_text(line["amount"]),
            }
            for line in lines
        ],
    }


def _update(actor: User, plan: _Plan) -> tuple[int, Outcome] | OrderItemError:
    """Apply a changed push to an existing order, keeping what it replaced."""
    assert plan.existing is not None
    clean = plan.clean
    order = Order.objects.select_for_update().get(pk=plan.existing.pk)
    before = order_content(order)
    if plan.total < order.refunded_total:
        message = _("订单金额不能小于已退款金额 %(refunded)s。") % {
            "refunded": money_display(order.refunded_total, order.currency)
        }
        return invalid({"total": [message]})
    order.customer_id = plan.customer.pk
    order.ordered_at = clean.ordered_at
    order.channel = clean.channel
    order.payment_status = clean.payment_status
    order.currency = clean.currency
    order.total = plan.total
    order.cost = plan.cost
    order.status = effective_status(clean.status, plan.total, order.refunded_total)
    order.content_hash = clean.content_hash
    lines = [dict(zip(LINE_COLUMNS[1:], line, strict=True)) for line in plan.lines]
    after = order_content(order, lines)
    if after == before:
        # Sent differently (say, the customer by external id now) but the same order.
        Order.objects.filter(pk=order.pk).update(content_hash=clean.content_hash)
        return order.pk, Outcome.UNCHANGED
    OrderRevision.objects.create(
        order=order,
        version=order.version,
        content=before,
        changed_fields=sorted(k for k in after if after[k] != before.get(k)),
        changed_at=timezone.now(),
        changed_by=actor,
    )
    order.version += 1
    order.updated_by = actor
    order.save()
    if after["lines"] != before["lines"]:
        OrderLine.objects.filter(order=order).delete()
        rows_insert(OrderLine, [{"order_id": order.pk, **line} for line in lines])
    return order.pk, Outcome.UPDATED


class _Refused(Exception):
    """Leaves a savepoint without keeping its writes."""

    def __init__(self, error: OrderItemError) -> None:
        super().__init__(error.message)
        self.error = error


def _round(
    cleans: list[_Clean], actor: User, touched: set[int], order_ids: list[int]
) -> list[IngestResult]:
    found = _lookups(actor, cleans)
    results: list[IngestResult] = []
    new: list[_Plan] = []
    changed: list[_Plan] = []
    for clean in cleans:
        plan = _plan(clean, found)
        if isinstance(plan, IngestResult):
            results.append(plan)
        elif plan.existing is None:
            new.append(plan)
        else:
            changed.append(plan)
    if new:
        created = _create(actor, new)
        for plan in new:
            outcome = created[plan.clean.index]
            if isinstance(outcome, OrderItemError):
                results.append(IngestResult(plan.clean.index, error=outcome))
            else:
                results.append(IngestResult(plan.clean.index, outcome, Outcome.CREATED))
                touched.add(plan.customer.pk)
                order_ids.append(outcome)
    for plan in changed:
        try:
            with transaction.atomic():
                updated = _update(actor, plan)
                if isinstance(updated, OrderItemError):
                    raise _Refused(updated)
        except _Refused as refused:
            results.append(IngestResult(plan.clean.index, error=refused.error))
            continue
        results.append(IngestResult(plan.clean.index, updated[0], updated[1]))
        if updated[1] == Outcome.UPDATED:
            touched.add(plan.customer.pk)
            order_ids.append(updated[0])
    return results


@transaction.atomic
def orders_ingest(*, actor: User, items: Sequence[OrderInput]) -> list[IngestResult]:
    """Record a batch of pushed orders; one result per item, in order.

    An order already pushed under the same ``(source, external_id)`` is left alone
    when it is the same, and updated (its previous content kept) when it changed.
    The same key twice in one batch applies in order, like two pushes."""
    if not can_record_orders(actor):
        raise PermissionDenied
    if len(items) > MAX_BATCH:
        raise ValidationError({"orders": [_("每批最多 %(n)d 个订单。") % {"n": MAX_BATCH}]})
    currency = default_currency()
    results: dict[int, IngestResult] = {}
    pending: list[_Clean] = []
    touched: set[int] = set()  # customers whose orders changed: one event for the batch
    order_ids: list[int] = []  # the orders created or changed, in the event's data
    for index, data in enumerate(items):
        clean = _clean(index, data, currency)
        if isinstance(clean, OrderItemError):
            results[index] = IngestResult(index, error=clean)
        else:
            pending.append(clean)
    while pending:
        # A key seen twice waits for the next round, which sees the first one written.
        this_round: list[_Clean] = []
        later: list[_Clean] = []
        seen: set[tuple[str, str]] = set()
        for clean in pending:
            (later if clean.key in seen else this_round).append(clean)
            seen.add(clean.key)
        for result in _round(this_round, actor, touched, order_ids):
            results[result.index] = result
        pending = later
    emit_many("order_recorded", touched, actor_id=actor.pk, data={"order_ids": order_ids})
    return [results[index] for index in range(len(items))]


def order_upsert(*, actor: User, data: OrderInput) -> tuple[Order, Outcome]:
    """Record one pushed order (see ``orders_ingest``). Raises ``ValidationError``,
    ``OrderNotFound`` (404), ``NotAllowedError`` / ``PermissionDenied`` (403) or
    ``ConflictError``; nothing is written then."""
    [result] = orders_ingest(actor=actor, items=[data])
    if result.error is not None:
        raise result.error.exception()
    assert result.order_id is not None and result.outcome is not None
    return Order.objects.get(pk=result.order_id), result.outcome
