"""Customer template helpers: ``{% load customer_tags %}``."""

from __future__ import annotations

from django import template

from kehu.customers.phones import phone_display
from kehu.customers.selectors import field_label as customer_field_label

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """``{{ number|phone }}``: an E.164 number as people write it."""
    return phone_display(value)


@register.filter
def field_label(name: str) -> str:
    """The verbose name of a customer field named in the change history."""
    return customer_field_label(name)
