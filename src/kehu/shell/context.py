"""The navigation bar's context: computed only when a template reads it (a full page;
an htmx partial has no bar)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from kehu.accounts.models import User
from kehu.shell.navigation import menus_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_active:
        return {}
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    return {"nav_menus": SimpleLazyObject(lambda: menus_for(user, current))}
