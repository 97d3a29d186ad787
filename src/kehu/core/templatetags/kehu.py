"""Template helpers: phone display, choice labels, query-string building."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Customer
from kehu.customers.phones import phone_display

register = template.Library()

SPECIAL_LABELS = {
    "phones": _("电话"),
    "tags": _("标签"),
    "owner": _("负责人"),
    "contacts": _("联系人"),
}


@register.filter
def phone(value: str) -> str:
    return phone_display(value)


@register.filter
def field_label(name: str) -> str:
    """The verbose name of a customer field named in the change history."""
    if name.startswith("custom:"):
        return name.split(":", 1)[1]
    if name in SPECIAL_LABELS:
        return str(SPECIAL_LABELS[name])
    try:
        return str(getattr(Customer._meta.get_field(name), "verbose_name", name))
    except Exception:
        return name


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], *pairs: Any, **changes: Any) -> str:
    """The current query string with some parameters replaced (for pagination/sort).
    A parameter whose name is a variable comes as a pair: ``{% query_with name 2 %}``."""
    query: QueryDict = context["request"].GET.copy()
    changes = {**dict(zip(pairs[::2], pairs[1::2], strict=True)), **changes}
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = str(value)
    return "?" + query.urlencode() if query else "?"


@register.filter
def get_item(mapping: dict[str, Any] | None, key: str) -> Any:
    return (mapping or {}).get(key, "")
