"""The OpenAPI document, the docs page, and schemathesis against the app's own spec."""

from __future__ import annotations

import contextlib
import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from kehu.accounts.services import token_create
from kehu.customers.models import Customer
from tests.factories import make_customer

OPENAPI_URL = "/api/v1/openapi.json"


@pytest.fixture
def web():
    return Client(HTTP_HOST="localhost")


def test_openapi_document(db, web):
    response = web.get(OPENAPI_URL)
    assert response.status_code == 200
    spec = response.json()
    assert spec["info"]["version"] == "1"
    assert set(spec["paths"]) == {
        "/api/v1/customers",
        "/api/v1/customers/{customer_id}",
        "/api/v1/customers/{customer_id}/claim",
        "/api/v1/customers/{customer_id}/release",
        "/api/v1/customers/{customer_id}/transfer",
        "/api/v1/customers/{customer_id}/merge",
        "/api/v1/duplicates",
        "/api/v1/merges/{merge_id}/undo",
    }
    patch = spec["paths"]["/api/v1/customers/{customer_id}"]["patch"]
    assert {"200", "401", "403", "404", "409", "422", "428"} <= set(patch["responses"])
    assert set(spec["components"]["securitySchemes"]) == {"BearerAuth", "BrowserSession"}


def test_docs_page_loads_nothing_from_another_host(db, web):
    response = web.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert OPENAPI_URL in html
    assert re.findall(r"(?:https?:)?//[\w.-]+\.\w+", html) == []
    assert '"validatorUrl": null' in html


# --- schemathesis ---------------------------------------------------------------------


@pytest.fixture
def openapi_3_1():
    """Django Ninja writes OpenAPI 3.1, which schemathesis 3 supports as an experiment."""
    schemathesis.experimental.OPEN_API_3_1.enable()
    yield
    schemathesis.experimental.OPEN_API_3_1.disable()


def _schema(web: Client) -> schemathesis.specs.openapi.schemas.BaseOpenAPISchema:
    return schemathesis.from_dict(web.get(OPENAPI_URL).json(), app=get_wsgi_application())


@contextlib.contextmanager
def keep_test_connection():
    """Like Django's test Client: a WSGI request must not close the test's connection
    (it holds the test's transaction; PostgreSQL would lose it). Django's own test
    Client reconnects the signal after each of its requests, so enter this after."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "sales"])
def test_schemathesis_finds_no_server_error(org, web, role, openapi_3_1):
    """Every operation, with generated input, as an admin and as a sales user.

    Path ids are sometimes swapped for real customers (own, another's, the pool's)
    and PATCH versions for the current one, so the writes get past the 404s.
    """
    user = getattr(org, role)
    _token, raw = token_create(user=user)
    headers = {"Authorization": f"Bearer {raw}", "Host": "localhost"}
    ids = [
        make_customer(org.sales, name="张三", phones=("13800138000",)).pk,
        make_customer(org.west_sales, name="西一").pk,
        make_customer(None, name="公海一", actor=org.admin).pk,
    ]
    schema = _schema(web)
    checks = (not_a_server_error, response_schema_conformance, status_code_conformance)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 11

    for operation in operations:

        @given(
            case=operation.as_strategy(), real_id=st.sampled_from([None, *ids]), fresh=st.booleans()
        )
        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case, real_id, fresh):
            if real_id is not None and "customer_id" in (case.path_parameters or {}):
                case.path_parameters = {**case.path_parameters, "customer_id": real_id}
                if isinstance(case.body, dict) and "other_id" in case.body:
                    case.body = {**case.body, "other_id": ids[(ids.index(real_id) + 1) % 3]}
                if fresh and case.method == "PATCH" and isinstance(case.body, dict):
                    current = Customer.objects.filter(pk=real_id).values_list("version", flat=True)
                    case.body = {**case.body, "version": current.first() or 1}
            response = case.call_wsgi(headers=headers)
            case.validate_response(response, checks=checks)

        with keep_test_connection():
            run()
