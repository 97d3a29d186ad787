"""The messaging card on the customer page (``customers/detail.html``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from kehu.accounts.models import User
from kehu.customers.access import visibility_q
from kehu.customers.models import Customer
from kehu.messaging.access import can_change_consent
from kehu.messaging.selectors import customer_consents, customer_messages

register = template.Library()


def consent_card_context(user: User, customer: Customer) -> dict[str, Any]:
    return {
        "customer": customer,
        "consents": customer_consents(customer),
        "recent": customer_messages(customer),
        "may_change": can_change_consent(user, customer),
    }


@register.simple_tag(takes_context=True)
def customer_consent_card(context: dict[str, Any], customer: Any) -> str:
    """Rendered HTML of the card for ``customer`` as seen by ``context["user"]``."""
    user = context.get("user")
    if not isinstance(user, User) or not user.is_active or customer is None:
        return ""
    if not Customer.objects.filter(visibility_q(user), pk=customer.pk).exists():
        return ""
    request = context.get("request")
    html = render_to_string(
        "messaging/_consent_card.html", consent_card_context(user, customer), request=request
    )
    return mark_safe(html)
