"""The exits card on the customer page (``customers/detail.html``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from kehu.accounts.models import User
from kehu.customers.access import visibility_q
from kehu.customers.models import Customer
from kehu.exits.access import can_record_exit
from kehu.exits.forms import ExitForm
from kehu.exits.selectors import customer_exits
from kehu.orders.models import Refund

register = template.Library()


@register.simple_tag(takes_context=True)
def customer_exits_card(context: dict[str, Any], customer: Any) -> str:
    """The customer's exits and, for who may record one, the exit form ("" when the
    user may not see the customer or it is deleted)."""
    user = context.get("user")
    if not isinstance(user, User) or not isinstance(customer, Customer):
        return ""
    if customer.deleted_at is not None:
        return ""
    if not Customer.objects.filter(visibility_q(user), pk=customer.pk).exists():
        return ""
    exits = customer_exits(user, customer)
    may_record = can_record_exit(user, customer)
    refunds = Refund.objects.filter(order__customer=customer).select_related("order")
    html = render_to_string(
        "exits/_customer_card.html",
        {
            "customer": customer,
            "exits": exits,
            "has_open": any(e.won_back_at is None for e in exits),
            "may_record": may_record,
            "form": ExitForm(refunds=refunds.order_by("-refunded_at", "-id"))
            if may_record
            else None,
        },
        request=context.get("request"),
    )
    return mark_safe(html)  # rendered (and escaped) by the template engine
