"""The coupons card on the customer page (``customers/detail.html``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import User
from kehu.core.money import money_display
from kehu.core.numbers import percent_text
from kehu.coupons.access import can_issue
from kehu.coupons.models import Coupon, CouponKind, CouponTemplate
from kehu.coupons.selectors import customer_coupons
from kehu.customers.models import Customer
from kehu.orders.models import Order

register = template.Library()

CARD_LIMIT = 10


@register.simple_tag(takes_context=True)
def customer_coupons_card(context: dict[str, Any], customer: Any) -> str:
    """Rendered HTML of the card for ``customer`` as seen by ``context["user"]``: their
    coupons (usable, used, expired) and, for who may issue, a form to give one."""
    user = context.get("user")
    if not isinstance(user, User) or not isinstance(customer, Customer):
        return ""
    if customer.deleted_at is not None:
        return ""
    coupons = list(customer_coupons(user, customer)[: CARD_LIMIT + 1])
    may_issue = can_issue(user)
    templates = list(CouponTemplate.objects.filter(is_active=True)) if may_issue else []
    if not coupons and not templates:
        return ""
    html = render_to_string(
        "coupons/_customer_card.html",
        {
            "customer": customer,
            "coupons": coupons[:CARD_LIMIT],
            "more": len(coupons) > CARD_LIMIT,
            "templates": templates,
            "csrf_token": context.get("csrf_token"),
        },
    )
    return mark_safe(html)  # rendered (and escaped) by the template engine


STATUS_BADGES = {
    "usable": "text-bg-success",
    "pending": "text-bg-info",
    "redeemed": "text-bg-secondary",
    "expired": "text-bg-light",
}


@register.filter
def coupon_status_badge(status: str) -> str:
    return STATUS_BADGES.get(status, "text-bg-light")


STATUS_LABELS = {
    "usable": gettext_lazy("可使用"),
    "pending": gettext_lazy("未生效"),
    "redeemed": gettext_lazy("已使用"),
    "expired": gettext_lazy("已过期"),
}


@register.filter
def coupon_status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@register.filter
def coupon_value(template: CouponTemplate) -> str:
    """``¥20 减`` / ``减 15%``, and the threshold: what the coupon is worth, in words."""
    if template.kind == CouponKind.PERCENT:
        places = 0 if template.value % 1 == 0 else 2
        worth = _("减 %(p)s") % {"p": percent_text(template.value, places)}
    else:
        worth = _("减 %(amount)s") % {"amount": money_display(template.value)}
    if template.threshold > 0:
        return _("满 %(threshold)s %(worth)s") % {
            "threshold": money_display(template.threshold),
            "worth": worth,
        }
    return str(worth)


@register.simple_tag
def order_coupon(order: Any) -> str:
    """The coupon redeemed on the order page's details (a ``<dt>``/``<dd>`` pair), or ""."""
    if not isinstance(order, Order):
        return ""
    coupon = Coupon.objects.filter(order=order).select_related("template").first()
    if coupon is None:
        return ""
    return format_html(
        '<dt class="col-4">{}</dt>'
        '<dd class="col-8" id="order-coupon"><code>{}</code> {} · −{}</dd>',
        _("优惠券"),
        coupon.code,
        coupon.template.name,
        money_display(coupon.discount, order.currency),
    )
