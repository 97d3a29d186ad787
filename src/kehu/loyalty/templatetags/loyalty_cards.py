"""The member's card on the customer page (``customers/detail.html``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.loyalty.access import can_grant, can_redeem
from kehu.loyalty.selectors import member_card

register = template.Library()

# Other apps (coupons) add rows to the card here: a callable (user, customer) → HTML.
CARD_SECTIONS: list[Any] = []


@register.simple_tag(takes_context=True)
def customer_loyalty_card(context: dict[str, Any], customer: Any) -> str:
    """The card for ``customer`` as ``context["user"]`` sees it: level, points, owed
    points, referral code. The customer page has checked the user sees the customer."""
    user = context.get("user")
    if not isinstance(user, User) or not isinstance(customer, Customer):
        return ""
    if not user.is_active:
        return ""
    card = member_card(customer)
    sections = [mark_safe(section(user, customer)) for section in CARD_SECTIONS]
    html = render_to_string(
        "loyalty/_customer_card.html",
        {
            "customer": customer,
            "card": card,
            "may_grant": can_grant(user, customer),
            "may_redeem": can_redeem(user, customer),
            "sections": sections,
        },
    )
    return mark_safe(html)  # rendered (and escaped) by the template engine
