"""The value card on the customer page (``customers/detail.html``) and the ``stars``
filter."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.value.selectors import customer_target_fit, customer_value

register = template.Library()


@register.filter
def stars(tier: Any) -> str:
    """``3`` → ``★★★☆☆``."""
    try:
        n = max(0, min(5, int(tier)))
    except (TypeError, ValueError):
        return ""
    return "★" * n + "☆" * (5 - n)


@register.simple_tag(takes_context=True)
def customer_value_card(context: dict[str, Any], customer: Any) -> str:
    """Rendered HTML of the value card for ``customer`` as seen by ``context["user"]``.

    The customer page has already checked the user may see the customer."""
    user = context.get("user")
    if not isinstance(user, User) or not isinstance(customer, Customer) or not user.is_active:
        return ""
    html = render_to_string(
        "value/_card.html",
        {"view": customer_value(customer), "fit": customer_target_fit(customer)},
        request=context.get("request"),
    )
    return mark_safe(html)  # rendered (and escaped) by the template engine
