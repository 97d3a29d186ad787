"""Redeeming a coupon on an order (核销), exactly once.

Everything is checked before anything is written — the coupon is the order's
customer's, not used, within its dates, the order not cancelled and without another
coupon, the products and the threshold met — and a refusal says which, in words,
with nothing changed. The write is one conditional UPDATE (``WHERE redeemed_at IS
NULL``): of concurrent redemptions of one code exactly one changes a row, the others
see 0 rows and are refused as "already used".

What the coupon is worth is worked out from the order as recorded and kept on the
coupon (``discount``); the order's total is not changed: it is what the order's
lines (or the pushing till) say was charged. The base is the order's total, or, for a
template limited to products, the amount of those products' lines; the threshold is
compared with the same base.

A refund or a cancellation of the order does **not** give the coupon back: the issue
asks for "redeemed once", a refund is money returned, not a promise renewed, and a
coupon that came back after a refund could be used twice for one purchase. A
business that wants to compensate issues a new coupon by hand.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import User
from kehu.core.money import money_display
from kehu.coupons.codes import code_normalize
from kehu.coupons.models import Coupon, CouponKind, CouponTemplate
from kehu.orders.access import can_write_order
from kehu.orders.hooks import OrderField
from kehu.orders.models import Order, OrderLine

CENT = Decimal("0.01")


def coupon_base(template: CouponTemplate, order: Order) -> Decimal | None:
    """What the coupon applies to on ``order``: its total, or the amount of the lines
    of the template's products (``None`` when the order has none of them)."""
    product_ids = list(template.products.values_list("pk", flat=True))
    if not product_ids:
        return order.total
    lines = OrderLine.objects.filter(order=order, product_id__in=product_ids)
    if not lines.exists():
        return None
    return lines.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


def coupon_discount(template: CouponTemplate, base: Decimal) -> Decimal:
    """The amount off ``base``: the value (never more than the base), or the
    percentage of it, to the cent."""
    if template.kind == CouponKind.PERCENT:
        off = (base * template.value / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    else:
        off = template.value
    return min(off, base)


def _when(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, code="coupon")


def _checked(actor: User, code: str, order: Order) -> tuple[Coupon, Decimal]:
    if not can_write_order(actor, order):
        raise PermissionDenied
    normalized = code_normalize(code)
    coupon = (
        Coupon.objects.filter(code=normalized, customer_id=order.customer_id)
        .select_related("template")
        .first()
        if normalized
        else None
    )
    if coupon is None:
        # Another customer's coupon answers like one that does not exist.
        raise _refuse(_("这位客户没有券码为 %(code)s 的优惠券。") % {"code": normalized or code})
    if coupon.redeemed_at is not None:
        if coupon.order_id == order.pk:
            return coupon, coupon.discount or Decimal("0.00")  # the same push again
        raise _refuse(_("该优惠券已于 %(when)s 使用过。") % {"when": _when(coupon.redeemed_at)})
    now = timezone.now()
    if coupon.valid_until <= now:
        raise _refuse(_("该优惠券已于 %(when)s 过期。") % {"when": _when(coupon.valid_until)})
    if coupon.valid_from is not None and coupon.valid_from > now:
        raise _refuse(_("该优惠券 %(when)s 起才能使用。") % {"when": _when(coupon.valid_from)})
    if order.is_cancelled:
        raise _refuse(_("已作废的订单不能使用优惠券。"))
    if Coupon.objects.filter(order=order).exists():
        raise _refuse(_("该订单已使用过一张优惠券，每个订单限用一张。"))
    template = coupon.template
    base = coupon_base(template, order)
    if base is None:
        raise _refuse(_("订单中没有该优惠券适用的商品。"))
    if base < template.threshold:
        raise _refuse(
            _("订单金额 %(base)s 未达到该优惠券的使用门槛 %(threshold)s。")
            % {
                "base": money_display(base, order.currency),
                "threshold": money_display(template.threshold, order.currency),
            }
        )
    return coupon, coupon_discount(template, base)


@transaction.atomic
def coupon_redeem(*, actor: User, code: str, order: Order) -> Coupon:
    """Redeem the coupon ``code`` on ``order`` (which the actor may change); the
    coupon as redeemed. ``ValidationError`` with the reason when refused, nothing
    changed; the same code on the same order again answers the coupon as it is."""
    coupon, discount = _checked(actor, code, order)
    if coupon.order_id == order.pk:
        return coupon
    now = timezone.now()
    try:
        with transaction.atomic():
            changed = Coupon.objects.filter(pk=coupon.pk, redeemed_at__isnull=True).update(
                redeemed_at=now, order=order, discount=discount, redeemed_by=actor
            )
    except IntegrityError:
        # Another coupon was redeemed on this order meanwhile (one per order).
        raise _refuse(_("该订单已使用过一张优惠券，每个订单限用一张。")) from None
    if changed != 1:
        raise _refuse(_("该优惠券刚刚已被使用。"))
    coupon.redeemed_at, coupon.order, coupon.discount = now, order, discount
    coupon.redeemed_by = actor
    return coupon


def _apply(*, actor: User, order: Order, value: str) -> None:
    coupon_redeem(actor=actor, code=value, order=order)


def order_coupon_field() -> OrderField:
    """``coupon_code`` on a new sale and on POST /api/v1/orders."""
    return OrderField(
        name="coupon_code",
        label=gettext_lazy("优惠券码"),
        help_text=gettext_lazy("客户出示的优惠券；不能使用时整笔订单不保存"),
        apply=_apply,
    )
