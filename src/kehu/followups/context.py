from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from kehu.followups.selectors import unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The unread count in the navigation bar: one indexed count, made only when a
    template reads it (a full page; an htmx partial such as the timeline has no bar)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
