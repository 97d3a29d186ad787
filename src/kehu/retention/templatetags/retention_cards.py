"""The retention card on the customer page (``customers/detail.html``): the customer's
runs and their steps, a stop button, and starting a playbook by hand."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.retention.access import can_start_for, can_view_playbooks
from kehu.retention.models import Playbook, step_result, step_state
from kehu.retention.selectors import customer_runs

register = template.Library()


@register.simple_tag(takes_context=True)
def customer_retention_card(context: dict[str, Any], customer: Any) -> str:
    """Rendered HTML of the card for ``customer`` as ``context["user"]`` sees it (the
    page has checked the customer through ``access_customer``)."""
    user = context.get("user")
    if not isinstance(user, User) or not isinstance(customer, Customer):
        return ""
    runs = customer_runs(customer)
    may_start = can_start_for(user, customer) and customer.deleted_at is None
    if not runs and not may_start:
        return ""
    for run in runs:
        run.step_rows = [  # type: ignore[attr-defined]
            {"step": s, "state": step_state(s), "result": step_result(s)} for s in run.steps.all()
        ]
    html = render_to_string(
        "retention/_customer_card.html",
        {
            "customer": customer,
            "runs": runs,
            "may_start": may_start,
            "may_view_playbooks": can_view_playbooks(user),
            "playbooks": list(Playbook.objects.filter(is_active=True).order_by("name"))
            if may_start
            else [],
        },
        request=context.get("request"),
    )
    return mark_safe(html)  # rendered (and escaped) by the template engine
