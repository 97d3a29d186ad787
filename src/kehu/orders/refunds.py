"""Money paid back on an order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.events import CustomerEvent, emit
from kehu.core.money import money_display
from kehu.orders.access import can_write_order
from kehu.orders.inputs import _add, _moment, _number, _text
from kehu.orders.models import (
    Order,
    OrderStatus,
    Refund,
    RefundKind,
    effective_status,
)


@transaction.atomic
def refund_record(
    *,
    actor: User,
    order: Order,
    amount: Decimal,
    reason: str,
    refunded_at: dt.datetime | None = None,
    kind: str = RefundKind.REFUND,
    external_id: str = "",
) -> tuple[Refund, bool]:
    """Record money paid back on an order: never more than was paid and not yet
    refunded. The order becomes ``partially_refunded`` or ``refunded``. With an
    ``external_id``, the same refund sent again is returned, not recorded twice
    (the flag says whether it was created now)."""
    if not can_write_order(actor, order):
        raise PermissionDenied
    locked = Order.objects.select_for_update().get(pk=order.pk)
    errors: dict[str, list[str]] = {}
    value = _number(errors, "amount", amount)
    text = _text(errors, "reason", reason, 500)
    if not text and "reason" not in errors:
        _add(errors, "reason", _("请填写退款原因。"))
    reference = _text(errors, "external_id", external_id, 64)
    if kind not in RefundKind.values:
        _add(errors, "kind", _("未知的退款类型。"))
    when = _moment(errors, "refunded_at", refunded_at or timezone.now())
    if errors:
        raise ValidationError(errors)
    assert value is not None and when is not None
    if reference:
        earlier = Refund.objects.filter(order=locked, external_id=reference).first()
        if earlier is not None:
            if earlier.amount == value:
                return earlier, False
            raise ValidationError(
                {
                    "external_id": [
                        _("该外部编号的退款已登记，金额为 %(amount)s。")
                        % {"amount": money_display(earlier.amount, locked.currency)}
                    ]
                }
            )
    if value <= 0:
        errors["amount"] = [_("退款金额必须大于 0。")]
    elif locked.is_cancelled:
        errors["amount"] = [_("已取消的订单不能退款。")]
    elif value > locked.refundable:
        errors["amount"] = [
            _("退款金额不能超过可退金额 %(left)s（订单金额 %(total)s，已退 %(done)s）。")
            % {
                "left": money_display(locked.refundable, locked.currency),
                "total": money_display(locked.total, locked.currency),
                "done": money_display(locked.refunded_total, locked.currency),
            }
        ]
    if when < locked.ordered_at:
        errors["refunded_at"] = [_("退款时间不能早于下单时间。")]
    if errors:
        raise ValidationError(errors)
    refund = Refund.objects.create(
        order=locked,
        kind=kind,
        amount=value,
        reason=text,
        refunded_at=when,
        external_id=reference,
        created_by=actor,
    )
    refunded = locked.refunded_total + value
    given = OrderStatus.CANCELLED if locked.is_cancelled else OrderStatus.PAID
    Order.objects.filter(pk=locked.pk).update(
        refunded_total=refunded,
        status=effective_status(given, locked.total, refunded),
        updated_at=timezone.now(),
        updated_by=actor,
    )
    emit(CustomerEvent("order_refunded", locked.customer_id, actor.pk, {"order_id": locked.pk}))
    return refund, True
