"""The surveys card on the customer page (``customers/detail.html``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from kehu.accounts.models import User
from kehu.customers.access import visibility_q
from kehu.customers.models import Customer
from kehu.surveys.access import can_send_to
from kehu.surveys.forms import SendOneForm
from kehu.surveys.models import Survey
from kehu.surveys.selectors import customer_invitations, latest_satisfaction

register = template.Library()


@register.simple_tag(takes_context=True)
def customer_satisfaction_card(context: dict[str, Any], customer: Any) -> str:
    """Rendered HTML of the card for ``customer`` as seen by ``context["user"]``."""
    user = context.get("user")
    if not isinstance(user, User) or not isinstance(customer, Customer) or not user.is_active:
        return ""
    if not Customer.objects.filter(visibility_q(user), pk=customer.pk).exists():
        return ""
    may_send = can_send_to(user, customer) and Survey.objects.filter(is_active=True).exists()
    form = SendOneForm(auto_id="survey-send-%s") if may_send else None
    html = render_to_string(
        "surveys/_card.html",
        {
            "customer": customer,
            "satisfaction": latest_satisfaction(customer.pk),
            "invitations": customer_invitations(customer),
            "form": form,
            "csrf_token": context.get("csrf_token"),
        },
    )
    return mark_safe(html)
