"""The complaints card on the customer page (``customers/detail.html``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from kehu.accounts.models import User
from kehu.complaints.access import can_log_complaint, can_see_complaints_of
from kehu.complaints.selectors import customer_open_complaints
from kehu.customers.models import Customer

register = template.Library()


@register.simple_tag(takes_context=True)
def customer_complaints_card(context: dict[str, Any], customer: Any) -> str:
    """Rendered HTML of the card for ``customer`` as seen by ``context["user"]``: the
    open complaints and a link to log one ("" when the user may not see them)."""
    user = context.get("user")
    if not isinstance(user, User) or not isinstance(customer, Customer):
        return ""
    if not can_see_complaints_of(user, customer):
        return ""
    html = render_to_string(
        "complaints/_customer_card.html",
        {
            "customer": customer,
            "complaints": customer_open_complaints(user, customer),
            "may_log": can_log_complaint(user, customer),
        },
    )
    return mark_safe(html)  # rendered (and escaped) by the template engine
