"""What the interactions app puts on the customer page (``customers/detail.html``):
``{% customer_interaction_form customer as interaction_form %}``."""

from __future__ import annotations

from django import template

from kehu.customers.models import Customer
from kehu.interactions.forms import InteractionForm

register = template.Library()


@register.simple_tag
def customer_interaction_form(customer: Customer) -> InteractionForm:
    """An empty "log a touch" form for ``customer`` (the page shows it to those who may log)."""
    return InteractionForm(customer=customer)
