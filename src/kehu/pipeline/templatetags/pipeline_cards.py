"""The opportunities card on the customer page (``customers/detail.html``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.pipeline.access import can_create_for
from kehu.pipeline.selectors import customer_opportunities

register = template.Library()


@register.simple_tag(takes_context=True)
def customer_opportunities_card(context: dict[str, Any], customer: Any) -> str:
    """Rendered HTML of the card for ``customer`` as seen by ``context["user"]``: the
    opportunities the user may see and a link to open one."""
    user = context.get("user")
    if not isinstance(user, User) or not isinstance(customer, Customer):
        return ""
    if customer.deleted_at is not None:
        return ""
    html = render_to_string(
        "pipeline/_customer_card.html",
        {
            "customer": customer,
            "opportunities": customer_opportunities(user, customer),
            "may_create": can_create_for(user, customer),
        },
    )
    return mark_safe(html)  # rendered (and escaped) by the template engine
