"""How the sweep asks: one client per role, request bodies made from the OpenAPI
schema, answers reduced to what a caller can tell apart, and the database read whole
to prove that a refused write changed nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import transaction
from django.http import HttpResponse
from django.test import Client

from tests.sweep.routes import REGISTRY, Kind, Route, components
from tests.sweep.world import World

# Written by reading, or not data at all: API tokens note their last use, sessions
# and the login throttle their own bookkeeping; the lifecycle statistics are a cache.
NOT_DATA = {
    "accounts.ApiToken",
    "sessions.Session",
    "axes.AccessAttempt",
    "axes.AccessAttemptExpiration",
    "axes.AccessFailureLog",
    "axes.AccessLog",
    "lifecycle.StatsSnapshot",
}

# Request-body fields that hold a list of ids of a registered kind.
BODY_LISTS = {"customer_ids": "customer_id"}

# Where the plainest body the schema accepts is still refused by the endpoint's own
# rules before it looks the record up: the fields that make it a real request.
BODY_EXTRAS: dict[str, dict[str, Any]] = {
    "POST /api/v1/orders": {"total": "10.00"},  # a total, or lines
    "POST /api/v1/leads": {"phone": "+8613800000099"},  # a phone that is one
}


class Clients:
    """A logged-in browser client and an API (Bearer token) client per role; errors are
    answers (500), not exceptions, so the sweep can report them all."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._pages: dict[str, Client] = {}
        self._api: dict[str, Client] = {}
        for role in world.users:  # logged in now, not inside a snapshot or a rollback
            self.page(role)

    def page(self, role: str) -> Client:
        if role not in self._pages:
            client = Client(raise_request_exception=False)
            client.force_login(self.world.users[role])
            self._pages[role] = client
        return self._pages[role]

    def api(self, role: str) -> Client:
        if role not in self._api:
            self._api[role] = Client(
                raise_request_exception=False,
                headers={"Authorization": f"Bearer {self.world.tokens[role]}"},
            )
        return self._api[role]

    def call(
        self, role: str, route: Route, method: str, url: str, body: Any = None
    ) -> HttpResponse:
        if route.api:
            data = json.dumps(body) if body is not None else ""
            return self.api(role).generic(method, url, data, content_type="application/json")
        client = self.page(role)
        return client.get(url) if method == "GET" else client.post(url, {})


@dataclass(frozen=True)
class Answer:
    """What a caller can tell apart: the status, and for JSON the code and message."""

    status: int
    code: str = ""
    message: str = ""
    location: str = ""
    text: str = ""  # an HTML error page's words (ids replaced)

    @property
    def refused(self) -> bool:
        """Not found, forbidden, or a method the route does not take (405: answered
        before any record is looked up)."""
        return self.status in (403, 404, 405)

    def __str__(self) -> str:
        extra = f" {self.code}: {self.message}" if self.code else ""
        return f"{self.status}{extra}{' → ' + self.location if self.location else ''}"


TAGS = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]*>", re.DOTALL)


def answer_of(response: HttpResponse, ids: tuple[Any, ...] = ()) -> Answer:
    def plain(text: str) -> str:
        for value in ids:
            text = re.sub(rf"\b{re.escape(str(value))}\b", "<id>", text)
        return text

    location = plain(response.get("Location", ""))
    if response.get("Content-Type", "").startswith("application/json") and response.content:
        body = json.loads(response.content)
        if isinstance(body, dict) and "code" in body:
            return Answer(response.status_code, body["code"], plain(str(body.get("message"))))
        return Answer(response.status_code, "", plain(json.dumps(body, sort_keys=True)))
    text = ""
    if response.status_code >= 400 and not getattr(response, "streaming", False):
        words = TAGS.sub(" ", response.content.decode("utf-8", errors="replace"))
        text = plain(" ".join(words.split()))
    return Answer(response.status_code, location=location, text=text)


@contextmanager
def rolled_back() -> Iterator[None]:
    """Whatever happens inside is undone (the insider's writes of the sweep)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table that holds data."""
    rows = {}
    for model in apps.get_models():
        label = model._meta.label
        if label in NOT_DATA:
            continue
        rows[label] = list(model._default_manager.order_by("pk").values_list())
    return rows


def changed_tables(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    return sorted(label for label in before if before[label] != after[label])


# --- request bodies -------------------------------------------------------------------


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components()[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _example(schema: dict[str, Any]) -> Any:
    """The plainest value ``schema`` accepts."""
    schema = _resolve(schema)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if _resolve(s).get("type") != "null"]
            return _example(options[0]) if options else None
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {name: _example(schema["properties"][name]) for name in schema.get("required", ())}
    if kind == "array":
        return [_example(schema["items"]) for _ in range(schema.get("minItems", 0))]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if schema.get("format") == "date-time":
        return "2026-03-01T10:30:00+08:00"
    if schema.get("format") == "date":
        return "2026-03-01"
    if schema.get("format") == "email":
        return "sweep@example.com"
    return "sweep"[: schema.get("maxLength", 5)].ljust(schema.get("minLength", 0), "x")


def body_id_fields(route: Route) -> dict[str, Kind]:
    """The request-body fields of ``route`` that name a record of a registered kind."""
    if not route.body_schema:
        return {}
    properties = _resolve(route.body_schema).get("properties", {})
    fields = {}
    for name in properties:
        kind = REGISTRY.get(BODY_LISTS.get(name, name))
        if kind is not None:
            fields[name] = kind
    return fields


def body_for(route: Route, method: str, ids: dict[str, Any], version: int | None) -> Any:
    """A valid request body: the required fields, every field naming a record (from
    ``ids``), and the version read where the schema has one."""
    if not route.body_schema:
        return None
    schema = _resolve(route.body_schema)
    body = {**_example(schema), **BODY_EXTRAS.get(f"{method} {route.template}", {})}
    properties = schema.get("properties", {})
    for name, value in ids.items():
        if name in properties:
            body[name] = [value] if name in BODY_LISTS else value
    if "version" in properties and version is not None:
        body["version"] = version
    return body
