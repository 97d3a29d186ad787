"""What the follow-ups app puts on the customer page (``customers/detail.html``):
``{% customer_task_form as task_form %}``, ``{% customer_open_tasks customer as open_tasks %}``."""

from __future__ import annotations

from typing import Any

from django import template

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.followups.forms import TaskForm
from kehu.followups.models import Task
from kehu.followups.selectors import customer_open_tasks as open_tasks_of

register = template.Library()


@register.simple_tag(takes_context=True)
def customer_task_form(context: dict[str, Any]) -> TaskForm | None:
    """An empty "plan a follow-up" form for the viewer (the page shows it to those who
    may log)."""
    user = context.get("user")
    return TaskForm(actor=user) if isinstance(user, User) else None


@register.simple_tag
def customer_open_tasks(customer: Customer) -> list[Task]:
    """The customer's open follow-ups (pass a customer the viewer was given by
    ``access_customer``)."""
    return open_tasks_of(customer)
