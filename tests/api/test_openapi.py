"""The OpenAPI document, the docs page, and schemathesis against the app's own spec."""

from __future__ import annotations

import contextlib
import re
from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client, override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from kehu.accounts.services import token_create
from kehu.customers.contacts import contact_add
from kehu.customers.models import Contact, Customer
from kehu.orders.models import Product
from kehu.orders.services import LineData, OrderData, order_upsert
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
        "/api/v1/customers/{customer_id}/contacts",
        "/api/v1/contacts/{contact_id}",
        "/api/v1/customers/{customer_id}/release",
        "/api/v1/customers/{customer_id}/transfer",
        "/api/v1/customers/{customer_id}/merge",
        "/api/v1/duplicates",
        "/api/v1/merges/{merge_id}/undo",
        "/api/v1/interactions",
        "/api/v1/customers/{customer_id}/timeline",
        "/api/v1/tasks",
        "/api/v1/tasks/{task_id}",
        "/api/v1/tasks/{task_id}/finish",
        "/api/v1/imports",
        "/api/v1/imports/{import_id}",
        "/api/v1/imports/{import_id}/errors",
        "/api/v1/imports/{import_id}/undo",
        "/api/v1/orders",
        "/api/v1/orders/batch",
        "/api/v1/orders/{order_id}",
        "/api/v1/orders/{order_id}/refunds",
        "/api/v1/customers/{customer_id}/orders",
        "/api/v1/products",
        "/api/v1/products/{product_id}",
        "/api/v1/product-categories",
        "/api/v1/product-categories/{category_id}",
        "/api/v1/complaints",
        "/api/v1/complaints/{complaint_id}",
        "/api/v1/customers/{customer_id}/complaints",
        "/api/v1/surveys/{survey_id}/send",
        "/api/v1/surveys/{survey_id}/results",
        "/api/v1/care/agenda",
        "/api/v1/campaigns",
        "/api/v1/campaigns/{campaign_id}",
        "/api/v1/customers/{customer_id}/consent",
        "/api/v1/lifecycle/models",
        "/api/v1/lifecycle/stats",
        "/api/v1/customers/{customer_id}/lifecycle",
        "/api/v1/customers/{customer_id}/lifecycle/move",
        "/api/v1/customers/{customer_id}/value",
        "/api/v1/analytics/pareto",
        "/api/v1/analytics/at-risk",
        "/api/v1/analytics/model",
        "/api/v1/value/target-fit",
        "/api/v1/exports/{list_key}",
        "/api/v1/exports/{export_id}",
        "/api/v1/exports/{export_id}/download",
        "/api/v1/segments",
        "/api/v1/segments/facts",
        "/api/v1/segments/{segment_id}",
        "/api/v1/segments/{segment_id}/count",
        "/api/v1/segments/{segment_id}/customers",
        "/api/v1/segments/{segment_id}/members",
        "/api/v1/playbooks",
        "/api/v1/playbooks/{playbook_id}",
        "/api/v1/playbooks/{playbook_id}/start",
        "/api/v1/playbooks/{playbook_id}/report",
        "/api/v1/customers/{customer_id}/retention",
        "/api/v1/pool/policy",
        "/api/v1/users/{user_id}/customers/transfer",
        "/api/v1/flags",
        "/api/v1/flags/{key}",
        "/api/v1/customers/{customer_id}/flags",
        "/api/v1/customers/{customer_id}/flags/{key}",
        "/api/v1/lifecycle/models/{key}/apply",
        "/api/v1/lifecycle/models/{key}/apply/{run_id}",
        "/api/v1/leads",
        "/api/v1/leads/{lead_id}",
        "/api/v1/leads/{lead_id}/attempts",
        "/api/v1/leads/{lead_id}/qualify",
        "/api/v1/leads/{lead_id}/convert",
        "/api/v1/leads/{lead_id}/claim",
        "/api/v1/opportunities",
        "/api/v1/opportunities/{opportunity_id}",
        "/api/v1/opportunities/{opportunity_id}/phase",
        "/api/v1/opportunities/{opportunity_id}/won",
        "/api/v1/opportunities/{opportunity_id}/lost",
        "/api/v1/pipeline/phases",
        "/api/v1/pipeline/loss-reasons",
        "/api/v1/analytics/forecast",
        "/api/v1/analytics/channels",
        "/api/v1/coupons",
        "/api/v1/coupons/redeem",
        "/api/v1/coupons/{coupon_template_id}",
        "/api/v1/coupons/{coupon_template_id}/issue",
        "/api/v1/customers/{customer_id}/loyalty",
        "/api/v1/customers/{customer_id}/points",
        "/api/v1/customers/{customer_id}/redeem",
        "/api/v1/exits",
        "/api/v1/exits/reasons",
        "/api/v1/exits/{exit_id}",
        "/api/v1/analytics/exits",
    }
    # A coupon is redeemed with a single order, not in batches.
    create = spec["paths"]["/api/v1/orders"]["post"]["requestBody"]["content"]
    assert create["application/json"]["schema"] == {"$ref": "#/components/schemas/OrderCreateIn"}
    assert "coupon_code" in spec["components"]["schemas"]["OrderCreateIn"]["properties"]
    assert "coupon_code" not in spec["components"]["schemas"]["OrderIn"]["properties"]
    batch = spec["components"]["schemas"]["BatchIn"]["properties"]["orders"]
    assert batch["items"] == {"$ref": "#/components/schemas/OrderIn"}
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
def test_schemathesis_finds_no_server_error(org, web, role, openapi_3_1, tmp_path):
    """Every operation, with generated input, as an admin and as a sales user.

    Path ids are sometimes swapped for real customers (own, another's, the pool's),
    orders and products, PATCH versions for the current one, and the customer and
    products an order names for real ones, so the writes get past the 404s.
    """
    user = getattr(org, role)
    _token, raw = token_create(user=user)
    headers = {"Authorization": f"Bearer {raw}", "Host": "localhost"}
    ids = [
        make_customer(org.sales, name="张三", phones=("13800138000",)).pk,
        make_customer(org.west_sales, name="西一").pk,
        make_customer(None, name="公海一", actor=org.admin).pk,
    ]
    contacts = [
        contact_add(
            actor=org.admin, customer=Customer.objects.get(pk=pk), data={"name": "联系人"}
        ).pk
        for pk in ids
    ]
    # Customers of their own for the order operations: those above get deleted and
    # merged by the customer operations, which run first.
    buyers = [
        make_customer(org.sales, name="买家一").pk,
        make_customer(org.west_sales, name="买家二").pk,
        make_customer(None, name="买家三", actor=org.admin).pk,
    ]
    products = [
        Product.objects.create(name="龙井", sku="TEA-1", price="100.00", unit_cost="60.00").pk,
        Product.objects.create(name="茶杯", price="25.50").pk,
    ]
    orders = [
        order_upsert(
            actor=org.admin,
            data=OrderData(
                source="shop",
                external_id=f"O-{customer_id}",
                ordered_at=timezone.now(),
                customer_id=customer_id,
                lines=[LineData(quantity=Decimal(2), product_id=products[0])],
            ),
        )[0].pk
        for customer_id in buyers
    ]
    schema = _schema(web)
    checks = (not_a_server_error, response_schema_conformance, status_code_conformance)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 124

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
            if real_id is not None:
                pick = ids.index(real_id)
                _with_real_orders(case, pick, buyers, orders, products, fresh=fresh)
            if real_id is not None and "customer_id" in (case.path_parameters or {}):
                case.path_parameters = {**case.path_parameters, "customer_id": real_id}
                if isinstance(case.body, dict) and "other_id" in case.body:
                    case.body = {**case.body, "other_id": ids[(ids.index(real_id) + 1) % 3]}
                if fresh and case.method == "PATCH" and isinstance(case.body, dict):
                    current = Customer.objects.filter(pk=real_id).values_list("version", flat=True)
                    case.body = {**case.body, "version": current.first() or 1}
            if real_id is not None and "contact_id" in (case.path_parameters or {}):
                contact_id = contacts[ids.index(real_id)]
                case.path_parameters = {**case.path_parameters, "contact_id": contact_id}
                if fresh and case.method == "PATCH" and isinstance(case.body, dict):
                    current = Contact.objects.filter(pk=contact_id).values_list(
                        "version", flat=True
                    )
                    case.body = {**case.body, "version": current.first() or 1}
            response = case.call_wsgi(headers=headers)
            case.validate_response(response, checks=checks)

        with keep_test_connection(), override_settings(VAR_DIR=tmp_path):  # uploaded imports
            run()


def _with_real_orders(
    case, pick: int, customers: list, orders: list, products: list, *, fresh: bool
) -> None:
    """Point order and product ids (in the path, and in an order's body) at real rows;
    with ``fresh``, also make the amounts plausible so some writes go through."""
    path = case.path_parameters or {}
    if "order_id" in path:
        case.path_parameters = {**path, "order_id": orders[pick]}
        if fresh and isinstance(case.body, dict) and "amount" in case.body:
            case.body = {**case.body, "amount": "1.00"}
            case.body.pop("refunded_at", None)
    if "product_id" in path:
        case.path_parameters = {**path, "product_id": products[pick % 2]}
    bodies = [case.body] if isinstance(case.body, dict) else []
    if isinstance(case.body, dict) and isinstance(case.body.get("orders"), list):
        bodies = [b for b in case.body["orders"] if isinstance(b, dict)]
    for body in bodies:
        if "ordered_at" not in body:
            continue
        body["customer_id"] = customers[pick]
        body.pop("customer_external_id", None)
        for line in body.get("lines") or []:
            if isinstance(line, dict):
                line.pop("sku", None)
                line["product_id"] = products[pick % 2]
                if fresh:
                    line.update(quantity="2", discount="0")
        if fresh:
            body.pop("cost", None)
            body.pop("currency", None)
            if body.get("lines"):
                body.pop("total", None)
            else:
                body["total"] = "10.00"
            body.update(status="paid", ordered_at="2025-03-01T10:30:00+08:00")
