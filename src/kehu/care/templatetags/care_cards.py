"""The care card on the customer page (``customers/detail.html``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from kehu.accounts.models import User
from kehu.customers.access import visibility_q
from kehu.customers.models import Customer

register = template.Library()


@register.simple_tag(takes_context=True)
def customer_care_card(context: dict[str, Any], customer: Any) -> str:
    """Rendered HTML of the card for ``customer`` as seen by ``context["user"]``."""
    from kehu.care.selectors import customer_care_dates

    user = context.get("user")
    if not isinstance(user, User) or not isinstance(customer, Customer):
        return ""
    if not Customer.objects.filter(visibility_q(user), pk=customer.pk).exists():
        return ""
    today = timezone.localdate()
    html = render_to_string(
        "care/_card.html", {"dates": customer_care_dates(customer, today=today), "today": today}
    )
    return mark_safe(html)
