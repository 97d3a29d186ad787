from __future__ import annotations

from django.http import HttpRequest

from kehu.followups.selectors import unread_count


def notifications(request: HttpRequest) -> dict[str, int]:
    """The unread count in the navigation bar (one indexed count per page)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user)}  # type: ignore[arg-type]
