"""The lifecycle card on the customer page (``customers/detail.html``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from kehu.accounts.models import User
from kehu.customers.access import can_write
from kehu.customers.models import Customer
from kehu.lifecycle.selectors import customer_flags, customer_lifecycle

register = template.Library()
CARD_HISTORY = 8


def card_context(user: User, customer: Customer, **extra: Any) -> dict[str, Any]:
    flags, on = customer_flags(customer)
    return {
        "customer": customer,
        "views": customer_lifecycle(customer, history=CARD_HISTORY),
        "flags": flags,
        "flags_on": on,
        "may_write": can_write(user, customer) and customer.deleted_at is None,
        **extra,
    }


@register.simple_tag(takes_context=True)
def customer_lifecycle_card(context: dict[str, Any], customer: Any) -> str:
    """The current stage per model, the stage path, the latest changes with their
    reasons, the manual-move form and the flags ("" for a user who may not see it)."""
    user = context.get("user")
    if not isinstance(user, User) or not isinstance(customer, Customer):
        return ""
    html = render_to_string(
        "lifecycle/_customer_card.html",
        card_context(user, customer),
        request=context.get("request"),
    )
    return mark_safe(html)  # rendered (and escaped) by the template engine
