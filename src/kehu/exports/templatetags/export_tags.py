"""``{% export_button "customers" %}``: a list page's 导出 button, carrying the page's
filters to the column picker; hidden from those who may not export the list. A page
whose filter is in its address, not its query, names it:
``{% export_button "survey-answers" survey=survey.pk %}``."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict

from kehu.exports.access import can_export_list
from kehu.exports.lists import export_list_get

register = template.Library()


@register.inclusion_tag("exports/_button.html", takes_context=True)
def export_button(context: Any, key: str, small: bool = False, **given: Any) -> dict[str, Any]:
    request = context.get("request")
    export_list = export_list_get(key)
    user = getattr(request, "user", None)
    show = bool(
        export_list is not None
        and user is not None
        and user.is_authenticated
        and can_export_list(user, export_list)
    )
    query = ""
    if show and export_list is not None:
        carried = QueryDict(mutable=True)
        for name in export_list.filter_keys:
            value = given.get(name) or (request.GET.get(name) if request is not None else None)
            if value:
                carried[name] = value
        query = carried.urlencode()
    return {"show": show, "key": key, "query": query, "small": small}


@register.simple_tag(takes_context=True)
def may_export(context: Any, key: str) -> bool:
    """``{% may_export "customers" as allowed %}``: whether to offer export controls."""
    request = context.get("request")
    export_list = export_list_get(key)
    user = getattr(request, "user", None)
    return bool(
        export_list is not None
        and user is not None
        and user.is_authenticated
        and can_export_list(user, export_list)
    )
