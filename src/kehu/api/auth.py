"""Who is calling: a Bearer API token, or the browser session (with CSRF on writes)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from kehu.accounts.models import User
from kehu.accounts.services import token_authenticate


class BearerAuth(HttpBearer):
    """``Authorization: Bearer kehu_…``: hashed, revocable tokens (``kehu token create``)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class BrowserSession(SessionAuth):
    """The logged-in browser session. Writes need the CSRF token, as in the UI.

    Without a session the caller is simply unauthenticated (401), not a CSRF
    failure: ninja's ``SessionAuth`` checks CSRF before it looks for a session.
    """

    def __call__(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


API_AUTH = [BearerAuth(), BrowserSession()]


def actor_of(request: HttpRequest) -> User:
    """The authenticated user of an API request (set by one of ``API_AUTH``)."""
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user
