"""An API client that speaks JSON with a Bearer token."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import resolve

from kehu.accounts.models import User
from kehu.accounts.services import token_create
from kehu.api.urls import api


@functools.cache
def openapi_document() -> dict[str, Any]:
    """The API's OpenAPI document, as clients read it (JSON: string status keys)."""
    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/")))


def documented_error_codes(method: str, path: str, status: int) -> list[str] | None:
    """The codes the document lists for this request's operation and status (None: the
    path is no operation)."""
    match = resolve(path.split("?")[0])
    if match.route == "api/":  # the catch-all JSON 404
        return None
    template = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", match.route)
    operation = openapi_document()["paths"][template].get(method.lower())
    if operation is None:
        return None
    return operation["responses"].get(str(status), {}).get("x-error-codes", [])


def assert_error_documented(method: str, path: str, response: Any) -> None:
    """Every error the API answers in a test must be one its OpenAPI document lists for
    that operation and status (so the document cannot fall behind the code)."""
    if response.status_code < 400 or not response["Content-Type"].startswith("application/json"):
        return
    code = response.json().get("code")
    listed = documented_error_codes(method, path, response.status_code)
    if listed is None:
        return
    assert code in listed, (
        f"{method} {path} answered {response.status_code} {code!r}, which the OpenAPI "
        f"document does not list for that operation (it lists {listed}): add it to the "
        "operation's error_responses(...)"
    )


class ApiClient:
    """``Client`` with ``Authorization: Bearer`` and JSON bodies; every error answer is
    checked against the OpenAPI document."""

    def __init__(self, token: str | None = None, *, client: Client | None = None) -> None:
        self.client = client or Client(HTTP_HOST="localhost")
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _checked(self, method: str, path: str, response: Any) -> Any:
        assert_error_documented(method, path, response)
        return response

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        response = self.client.get(path, params or {}, headers={**self.headers, **headers})
        return self._checked("GET", path, response)

    def post(self, path: str, body: Any = None, *, raw: str | None = None, **headers: str) -> Any:
        data = raw if raw is not None else json.dumps(body)
        response = self.client.post(
            path, data, content_type="application/json", headers={**self.headers, **headers}
        )
        return self._checked("POST", path, response)

    def patch(self, path: str, body: Any = None, *, raw: str | None = None, **headers: str) -> Any:
        data = raw if raw is not None else json.dumps(body)
        response = self.client.patch(
            path, data, content_type="application/json", headers={**self.headers, **headers}
        )
        return self._checked("PATCH", path, response)

    def delete(self, path: str, **headers: str) -> Any:
        response = self.client.delete(path, headers={**self.headers, **headers})
        return self._checked("DELETE", path, response)


def api_client_for(user: User) -> ApiClient:
    _token, raw = token_create(user=user, name="test")
    return ApiClient(raw)


@pytest.fixture
def as_user():
    """``as_user(org.sales)``: an API client authenticated with a fresh token."""
    return api_client_for
