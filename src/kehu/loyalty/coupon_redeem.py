"""Points for coupons: the ``coupon`` redeemable (coupons sit below loyalty).

A coupon template with a points price (``points_cost``) can be bought with points:
``points_redeem`` locks the member, asks the cost, checks the balance, and this
``deliver`` issues the coupons through the coupons app's own service (its per-customer
limit and visibility hold) — a refusal there changes nothing, points included.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import User
from kehu.coupons.models import CouponSource, CouponTemplate
from kehu.coupons.services import coupon_issue
from kehu.customers.models import Customer
from kehu.loyalty.redeemables import Redeemable, register_redeemable

MAX_COUPONS = 5  # one redemption buys at most this many (their codes fit the entry)


def _template(item_id: int) -> CouponTemplate:
    template = CouponTemplate.objects.filter(
        pk=item_id, is_active=True, points_cost__isnull=False
    ).first()
    if template is None:
        raise ValidationError({"item_id": [_("该优惠券不存在、已停用或不能用积分兑换。")]})
    return template


def coupon_cost(item_id: int, quantity: int) -> int:
    if quantity > MAX_COUPONS:
        raise ValidationError(
            {"quantity": [_("一次最多兑换 %(n)d 张优惠券。") % {"n": MAX_COUPONS}]}
        )
    return int(_template(item_id).points_cost or 0) * quantity


def coupon_deliver(actor: User, customer: Customer, item_id: int, quantity: int) -> str:
    """Issue ``quantity`` coupons of the template; the codes are the entry's reference."""
    template = _template(item_id)
    codes: list[str] = []
    for _n in range(quantity):
        try:
            made = coupon_issue(
                actor=actor,
                template=template,
                customer_ids=[customer.pk],
                source=CouponSource.POINTS,
            )
        except PermissionDenied:
            raise ValidationError({"item_id": [_("您无权为该客户发放优惠券。")]}) from None
        if not made:
            raise ValidationError({"item_id": [_("该客户已达到这张优惠券的领取上限。")]})
        codes.extend(coupon.code for coupon in made)
    return ",".join(codes)


def coupon_choices() -> list[tuple[int, str, int]]:
    templates = CouponTemplate.objects.filter(is_active=True, points_cost__isnull=False)
    return [(t.pk, t.name, int(t.points_cost or 0)) for t in templates.order_by("points_cost")]


def register_coupons() -> None:
    register_redeemable(
        Redeemable(
            "coupon", str(gettext_lazy("优惠券")), coupon_cost, coupon_deliver, coupon_choices
        )
    )
