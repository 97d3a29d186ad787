"""The OpenAPI document lists every error code the API answers, where it can answer it.

Three walks: every code the source can give is in ``API_ERRORS``; every ``ApiError``
an endpoint can reach (through the API's own helpers) is listed on that endpoint;
and every operation, provoked with the errors of its shape (no credentials, a body
that is not JSON, one too large, a session write without the CSRF token, an id that
is not one, a page past the end), answers only codes its document lists. Domain
errors that services raise are checked where the suite meets them: the API test
client (``tests/api/conftest.py``) checks every error it receives.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from kehu.accounts.services import token_create
from kehu.api.errors import API_ERRORS
from kehu.api.urls import api
from kehu.core.errors import KehuError

API_DIR = Path(inspect.getfile(api.__class__)).parent
SRC = API_DIR.parent
UNSAFE = {"post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/")))


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def listed(operation: dict[str, Any], status: int) -> list[str]:
    return operation["responses"].get(str(status), {}).get("x-error-codes", [])


# --- the source's codes are registered ------------------------------------------------


def _literal(node: ast.AST) -> Any:
    return node.value if isinstance(node, ast.Constant) else None


def _called(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def source_codes() -> set[tuple[int | None, str]]:
    """(status, code) pairs the source gives: KehuError classes, ``ApiError(...)`` and
    ``_respond(...)`` literals, and the reasons an error class turns into its code."""
    importlib.import_module("kehu.api.urls")  # every router, so every service is loaded
    found: set[tuple[int | None, str]] = set()
    classes: list[type[KehuError]] = [KehuError]
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        if cls is not KehuError and "code" in vars(cls):
            found.add((cls.status, cls.code))
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = _called(node)
            args = [_literal(arg) for arg in node.args]
            if name == "ApiError" and len(args) >= 2 and isinstance(args[1], str):
                found.add((args[0], args[1]))
            elif name == "_respond" and len(args) >= 4 and isinstance(args[3], str):
                found.add((args[2], args[3]))
            elif name == "OwnershipError":  # its code is details["reason"]
                for keyword in node.keywords:
                    if keyword.arg == "details" and isinstance(keyword.value, ast.Dict):
                        for key, value in zip(
                            keyword.value.keys, keyword.value.values, strict=True
                        ):
                            reason = _literal(value)
                            if key is not None and _literal(key) == "reason" and reason:
                                found.add((409, reason))
        if path.name == "ownership.py" and path.parent.name == "customers":
            # A transfer's skipped reasons become OwnershipError codes in the API.
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript):
                    target = node.targets[0].value
                    if getattr(target, "attr", "") == "skipped" and _literal(node.value):
                        found.add((409, _literal(node.value)))
    return found


def test_every_code_the_source_gives_is_registered():
    missing = []
    for status, code in sorted(source_codes(), key=str):
        if code == "not_found" and status == 409:
            continue  # a transfer's vanished customer: the API answers 404 instead
        doc = API_ERRORS.get(code)
        if doc is None or (status is not None and status not in doc.statuses):
            missing.append((status, code))
    assert missing == [], f"add these to kehu.api.errors.API_ERRORS: {missing}"


def test_every_registered_code_is_listed_on_some_operation(document):
    everywhere = {
        code
        for _method, _path, operation in operations(document)
        for response in operation["responses"].values()
        for code in response.get("x-error-codes", [])
    }
    assert set(API_ERRORS) - everywhere == set()


def test_every_error_response_lists_its_codes(document):
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                codes = response["x-error-codes"]
                assert codes, (method, path, status)
                schema = response["content"]["application/json"]["schema"]
                assert schema["properties"]["code"]["enum"] == codes
                for code in codes:
                    assert f"`{code}`" in response["description"]
                    assert int(status) in API_ERRORS[code].statuses


# --- what an endpoint raises itself, it lists -------------------------------------------


def _functions() -> dict[tuple[str, str], ast.FunctionDef]:
    """Every function of the API package, by (module, name)."""
    found = {}
    for path in API_DIR.glob("*.py"):
        module = f"kehu.api.{path.stem}"
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef):
                found[(module, node.name)] = node
    return found


def _imports(module: str) -> dict[str, tuple[str, str]]:
    """Names a module of the API package imports from the others."""
    tree = ast.parse((API_DIR / f"{module.rsplit('.', 1)[1]}.py").read_text())
    names = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kehu.api."):
            for alias in node.names:
                names[alias.asname or alias.name] = (node.module or "", alias.name)
    return names


def reachable_api_errors(module: str, name: str) -> set[tuple[int, str]]:
    functions = _functions()
    seen: set[tuple[str, str]] = set()
    found: set[tuple[int, str]] = set()
    todo = [(module, name)]
    while todo:
        key = todo.pop()
        if key in seen or key not in functions:
            continue
        seen.add(key)
        imported = _imports(key[0])
        for node in ast.walk(functions[key]):
            if not isinstance(node, ast.Call):
                continue
            called = _called(node)
            args = [_literal(arg) for arg in node.args]
            if called == "ApiError" and len(args) >= 2:
                found.add((args[0], args[1]))
            elif (key[0], called) in functions:
                todo.append((key[0], called))
            elif called in imported:
                todo.append(imported[called])
    return found


# Calls the walk follows although they cannot raise that error (it reads no arguments).
NOT_REACHED = {("customers_delete", "version_required")}  # version_from(..., required=False)


def test_api_errors_an_endpoint_can_reach_are_listed_on_it(document):
    by_id = {operation["operationId"]: operation for _m, _p, operation in operations(document)}
    checked = 0
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                documented = by_id[api.get_openapi_operation_id(operation)]
                view = operation.view_func
                for status, code in reachable_api_errors(view.__module__, view.__name__):
                    if (view.__name__, code) in NOT_REACHED:
                        continue
                    assert code in listed(documented, status), (view.__name__, status, code)
                    checked += 1
    assert checked > 10  # the walk found the endpoints' own errors


# --- every operation, provoked, answers only what it lists -----------------------------


def _fill(path: str, id_value: str) -> str:
    parts = [id_value if part.startswith("{") else part for part in path.split("/")]
    return "/".join(parts)


def call(client: Client, method: str, path: str, **kwargs: Any) -> Any:
    return getattr(client, method)(path, **kwargs)


@pytest.mark.django_db
def test_every_operation_answers_only_listed_errors_to_generic_faults(document, org, settings):
    _token, raw = token_create(user=org.admin)
    bearer = Client(HTTP_HOST="localhost", headers={"Authorization": f"Bearer {raw}"})
    anonymous = Client(HTTP_HOST="localhost")
    browser = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    browser.force_login(org.admin)
    provoked: dict[str, int] = {}
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    def check(method: str, path: str, operation: dict[str, Any], response: Any, *want: str):
        code = response.json().get("code")
        assert code in want, (method, path, response.status_code, code, want)
        assert code in listed(operation, response.status_code), (method, path, code)
        provoked[code] = provoked.get(code, 0) + 1

    for method, path, operation in operations(document):
        url = _fill(path, "1")
        body = "requestBody" in operation
        response = call(anonymous, method, url)
        check(method, path, operation, response, "unauthorized")
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            json_body = {"data": "{}", "content_type": "application/json"} if body else {}
            response = call(bearer, method, _fill(path, "x"), **json_body)
            check(method, path, operation, response, "not_found")
        if any(p["name"] == "page" for p in operation.get("parameters", [])):
            response = call(bearer, method, url, data={"page": 99999})
            check(method, path, operation, response, "page_out_of_range", "no_score", "not_found")
        if body:
            # A form upload (multipart) reads no JSON: a JSON body is invalid input there.
            form = "application/json" not in operation["requestBody"].get("content", {})
            response = call(bearer, method, url, data="{", content_type="application/json")
            check(method, path, operation, response, "invalid" if form else "malformed_json")
            settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
            big = json.dumps({"x": "y" * 200})
            response = call(bearer, method, url, data=big, content_type="application/json")
            check(method, path, operation, response, "request_too_large")
            settings.DATA_UPLOAD_MAX_MEMORY_SIZE = limit
            response = call(bearer, method, url, data="[]", content_type="application/json")
            check(method, path, operation, response, "invalid", "not_found")
        if method in UNSAFE:
            response = call(browser, method, url, data="{}", content_type="application/json")
            check(method, path, operation, response, "csrf_failed")
    assert set(provoked) >= {
        "unauthorized",
        "not_found",
        "page_out_of_range",
        "malformed_json",
        "request_too_large",
        "invalid",
        "csrf_failed",
    }
