"""Sales entered by hand (录入订单): the sale form, the quick sale at a counter, and
editing or cancelling an order.

Every write goes through ``order_upsert``, the service the API pushes orders through,
so lifecycle, value and care react to a sale typed in exactly as to a pushed one. A
sale typed in gets the source ``kehu`` and an external id of its own; an edit or a
cancellation is the order pushed again under its own ``(source, external_id)``, with
its content kept in the order's history. The version the user saw is checked first,
under a row lock: an edit made meanwhile is refused, never overwritten.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.errors import ConflictError
from kehu.customers.models import Customer
from kehu.orders.access import can_record_orders, can_write_order
from kehu.orders.hooks import order_fields_apply
from kehu.orders.ingest import order_upsert
from kehu.orders.inputs import LineData, OrderData, Outcome
from kehu.orders.models import Channel, Order, OrderStatus, PaymentStatus

MANUAL_SOURCE = "kehu"  # the source of the orders typed in Kehu itself


@dataclass(frozen=True, slots=True)
class SaleLine:
    """A line of the sale form: the product, and what the form filled in and the user
    may have changed (price and cost default to the product's)."""

    product_id: int
    quantity: Decimal
    unit_price: Decimal | None = None
    unit_cost: Decimal | None = None
    discount: Decimal = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Sale:
    customer: Customer
    ordered_at: dt.datetime
    channel: str = Channel.STORE
    payment_status: str = PaymentStatus.PAID
    lines: Sequence[SaleLine] = ()
    total: Decimal | None = None  # a sale without lines (the quick sale with no product)
    cost: Decimal | None = None  # only without lines


def sale_number() -> str:
    """A new sale's external id: the day and random letters (``S250301-7K2Q9M``)."""
    day = timezone.localdate().strftime("%y%m%d")
    letters = "".join(secrets.choice("23456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(6))
    return f"S{day}-{letters}"


def _order_data(
    sale: Sale, source: str, external_id: str, status: str = OrderStatus.PAID
) -> OrderData:
    return OrderData(
        source=source,
        external_id=external_id,
        ordered_at=sale.ordered_at,
        customer_id=sale.customer.pk,
        status=status,
        channel=sale.channel,
        payment_status=sale.payment_status,
        total=sale.total,
        cost=sale.cost if not sale.lines else None,
        lines=[
            LineData(
                quantity=line.quantity,
                product_id=line.product_id,
                unit_price=line.unit_price,
                discount=line.discount,
                unit_cost=line.unit_cost,
            )
            for line in sale.lines
        ],
    )


def _check(actor: User, sale: Sale) -> None:
    if not can_record_orders(actor):
        raise PermissionDenied
    if not sale.lines and sale.total is None:
        raise ValidationError({"lines": [_("请至少添加一个商品。")]})


def sale_record(*, actor: User, sale: Sale, extras: Mapping[str, str] | None = None) -> Order:
    """Record a new sale; raises ``ValidationError`` (field keys as the API's:
    ``lines.0.quantity``), ``PermissionDenied`` or the errors of ``order_upsert``.

    ``extras``: values of the fields apps above register (``kehu.orders.hooks``, a
    coupon code), applied to the saved order in the same transaction; a refusal
    refuses the sale. Without extras not in a transaction of its own: its one write,
    ``order_upsert``, is one already; an outer one made that a savepoint, two more
    round trips per sale."""
    _check(actor, sale)
    data = _order_data(sale, MANUAL_SOURCE, sale_number())
    if not extras:
        order, _outcome = order_upsert(actor=actor, data=data)
        return order
    with transaction.atomic():
        order, _outcome = order_upsert(actor=actor, data=data)
        order_fields_apply(actor=actor, order=order, values=extras)
    return order


def _locked(actor: User, order: Order, version: int) -> Order:
    if not can_write_order(actor, order):
        raise PermissionDenied
    locked = Order.objects.select_for_update().select_related("customer").get(pk=order.pk)
    if locked.version != version:
        raise ConflictError(
            _("该订单已被他人修改（当前为第 %(version)d 版），请刷新后重试。")
            % {"version": locked.version},
            details={"current_version": locked.version},
        )
    if not locked.external_id:
        raise ValidationError(_("该订单没有外部编号，不能在这里修改。"))
    return locked


@transaction.atomic
def sale_update(*, actor: User, order: Order, version: int, sale: Sale) -> tuple[Order, Outcome]:
    """Change an order as the user saw it at ``version``: refused with
    ``ConflictError`` when it was changed since. A cancelled order stays cancelled."""
    _check(actor, sale)
    locked = _locked(actor, order, version)
    status = OrderStatus.CANCELLED if locked.is_cancelled else OrderStatus.PAID
    return order_upsert(
        actor=actor, data=_order_data(sale, locked.source, locked.external_id, status)
    )


def sale_of(order: Order) -> Sale:
    """The order as a sale, as it is stored (to cancel it, or fill the edit form)."""
    lines = [
        SaleLine(
            product_id=line.product_id,
            quantity=line.quantity,
            unit_price=line.unit_price,
            unit_cost=line.unit_cost,
            discount=line.discount,
        )
        for line in order.lines.order_by("position")
    ]
    return Sale(
        customer=order.customer,
        ordered_at=order.ordered_at,
        channel=order.channel,
        payment_status=order.payment_status,
        lines=lines,
        total=None if lines else order.total,
        cost=None if lines else order.cost,
    )


@transaction.atomic
def sale_cancel(*, actor: User, order: Order, version: int) -> Order:
    """Cancel an order (作废) as the user saw it at ``version``; its lines and amounts
    stay for the record, and it no longer counts as a purchase."""
    if not can_record_orders(actor):
        raise PermissionDenied
    locked = _locked(actor, order, version)
    if locked.is_cancelled:
        return locked
    if locked.refunded_total > 0:
        raise ValidationError(_("已有退款的订单不能作废，请登记退款。"))
    data = _order_data(sale_of(locked), locked.source, locked.external_id, OrderStatus.CANCELLED)
    cancelled, _outcome = order_upsert(actor=actor, data=data)
    return cancelled


def sale_quick(
    *,
    actor: User,
    customer: Customer,
    product_id: int | None,
    amount: Decimal,
    payment_status: str = PaymentStatus.PAID,
    extras: Mapping[str, str] | None = None,
) -> Order:
    """A sale at the counter (快速收银): one product for ``amount`` (its unit cost as
    the catalogue has it), or an amount alone; now, in the store. ``extras`` as for
    ``sale_record`` (a coupon code)."""
    lines = [SaleLine(product_id, Decimal(1), amount)] if product_id is not None else []
    sale = Sale(
        customer=customer,
        ordered_at=timezone.now(),
        channel=Channel.STORE,
        payment_status=payment_status,
        lines=lines,
        total=None if lines else amount,
    )
    return sale_record(actor=actor, sale=sale, extras=extras)
