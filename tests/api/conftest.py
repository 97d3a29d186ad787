"""An API client that speaks JSON with a Bearer token."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from kehu.accounts.models import User
from kehu.accounts.services import token_create


class ApiClient:
    """``Client`` with ``Authorization: Bearer`` and JSON bodies."""

    def __init__(self, token: str | None = None, *, client: Client | None = None) -> None:
        self.client = client or Client(HTTP_HOST="localhost")
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get(path, params or {}, headers={**self.headers, **headers})

    def post(self, path: str, body: Any = None, *, raw: str | None = None, **headers: str) -> Any:
        data = raw if raw is not None else json.dumps(body)
        return self.client.post(
            path, data, content_type="application/json", headers={**self.headers, **headers}
        )

    def patch(self, path: str, body: Any = None, *, raw: str | None = None, **headers: str) -> Any:
        data = raw if raw is not None else json.dumps(body)
        return self.client.patch(
            path, data, content_type="application/json", headers={**self.headers, **headers}
        )

    def delete(self, path: str, **headers: str) -> Any:
        return self.client.delete(path, headers={**self.headers, **headers})


def api_client_for(user: User) -> ApiClient:
    _token, raw = token_create(user=user, name="test")
    return ApiClient(raw)


@pytest.fixture
def as_user():
    """``as_user(org.sales)``: an API client authenticated with a fresh token."""
    return api_client_for
