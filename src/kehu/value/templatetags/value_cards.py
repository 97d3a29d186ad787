"""The value card on the customer page (``customers/detail.html``)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def customer_value_card(context: dict[str, Any], customer: Any) -> str:
    """Rendered HTML of the value card for ``customer`` as seen by ``context["user"]``."""
    return ""
