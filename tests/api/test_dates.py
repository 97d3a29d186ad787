"""Every date and time the API takes is ISO 8601 text between 1900 and 2100 (birthdays:
1900 to today): a year 9999 or a Unix timestamp answers 422 with a message that says
what is allowed, on every endpoint alike (core/dates.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from kehu.complaints.models import Complaint
from kehu.customers.models import Customer
from kehu.followups.models import Task
from kehu.interactions.models import Interaction
from kehu.orders.models import Order
from kehu.orders.services import OrderData, order_upsert
from tests.api.conftest import api_client_for
from tests.factories import make_customer
from tests.surveys.factories import make_survey

pytestmark = pytest.mark.django_db

MOMENTS = {
    "year 9999": "9999-12-31T10:00:00+08:00",
    "year 1899": "1899-12-31T10:00:00+08:00",
    "unix number": 1700000000,
    "unix text": "1700000000",
    "compact": "20250301T103000",
}
DAYS = {
    "year 9999": "9999-12-31",
    "year 1899": "1899-12-31",
    "unix number": 1700000000,
    "unix text": "1700000000",
    "compact": "20250301",
}


@pytest.fixture
def world(org):
    customer = make_customer(org.sales, name="日期客户")
    order, _outcome = order_upsert(
        actor=org.sales,
        data=OrderData(
            source="shop",
            external_id="D-1",
            customer_id=customer.pk,
            ordered_at=dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC),
            total=Decimal("100.00"),
        ),
    )
    task = Task.objects.create(
        customer=customer,
        assignee=org.sales,
        kind="call",
        title="回访",
        due_at=dt.datetime(2026, 3, 1, 2, tzinfo=dt.UTC),
    )
    return {"customer": customer, "order": order, "task": task}


def _writes(world, value):
    """(method, path, body, the field the error is keyed by) for each endpoint."""
    c = world["customer"]
    return [
        ("post", "/api/v1/tasks", {"customer_id": c.pk, "kind": "call", "due_at": value}, "due_at"),
        ("patch", f"/api/v1/tasks/{world['task'].pk}", {"due_at": value, "version": 1}, "due_at"),
        (
            "post",
            "/api/v1/interactions",
            {"customer_id": c.pk, "kind": "call", "occurred_at": value},
            "occurred_at",
        ),
        (
            "post",
            "/api/v1/complaints",
            {"customer_id": c.pk, "channel": "wechat", "description": "坏了", "received_at": value},
            "received_at",
        ),
        (
            "post",
            "/api/v1/orders",
            {
                "source": "shop",
                "external_id": "D-2",
                "customer_id": c.pk,
                "ordered_at": value,
                "total": "1.00",
            },
            "ordered_at",
        ),
        (
            "post",
            f"/api/v1/orders/{world['order'].pk}/refunds",
            {"amount": "1.00", "reason": "退货", "refunded_at": value},
            "refunded_at",
        ),
    ]


def _birthday_writes(world, value):
    c = world["customer"]
    return [
        ("post", "/api/v1/customers", {"name": "新客户", "birthday": value}, "birthday"),
        ("patch", f"/api/v1/customers/{c.pk}", {"birthday": value, "version": 1}, "birthday"),
    ]


def _nothing_written(world) -> bool:
    return (
        Task.objects.count() == 1
        and Task.objects.get().due_at.year == 2026
        and not Interaction.objects.exists()
        and not Complaint.objects.exists()
        and Order.objects.count() == 1
        and not world["order"].refunds.exists()
        and Customer.objects.count() == 1
        and Customer.objects.get().birthday is None
    )


@pytest.mark.parametrize("value", MOMENTS.values(), ids=MOMENTS.keys())
def test_every_write_refuses_a_bad_time_with_the_range(org, world, value):
    api = api_client_for(org.sales)
    for method, path, body, field in _writes(world, value):
        response = getattr(api, method)(path, body)
        assert response.status_code == 422, (path, response.content)
        messages = response.json()["errors"][field]
        assert any("1900" in m and "2100" in m for m in messages), (path, messages)
    assert _nothing_written(world)


@pytest.mark.parametrize("value", [*DAYS.values(), "2999-01-01"], ids=[*DAYS.keys(), "future"])
def test_a_birthday_is_a_past_date_after_1900(org, world, value):
    api = api_client_for(org.sales)
    for method, path, body, field in _birthday_writes(world, value):
        response = getattr(api, method)(path, body)
        assert response.status_code == 422, (path, response.content)
        assert response.json()["errors"][field], path
    assert _nothing_written(world)


def test_the_message_names_the_range_in_english_too(org, world):
    api = api_client_for(org.sales)
    response = api.post(
        "/api/v1/tasks",
        {"customer_id": world["customer"].pk, "kind": "call", "due_at": "9999-12-31T10:00:00Z"},
        **{"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert response.json()["errors"]["due_at"] == [
        "The time must be between the years 1900 and 2100."
    ]
    response = api.post(
        "/api/v1/tasks",
        {"customer_id": world["customer"].pk, "kind": "call", "due_at": 1700000000},
        **{"Accept-Language": "en"},
    )
    (message,) = response.json()["errors"]["due_at"]
    assert "ISO 8601" in message and "Unix" in message and "1900" in message
    translation.activate("zh-hans")


def test_a_batch_reports_the_bad_time_of_its_order(org, world):
    order = {"source": "shop", "customer_id": world["customer"].pk, "total": "1.00"}
    response = api_client_for(org.sales).post(
        "/api/v1/orders/batch",
        {
            "orders": [
                {**order, "external_id": "B-1", "ordered_at": "2025-03-01T10:00:00+08:00"},
                {**order, "external_id": "B-2", "ordered_at": "9999-12-31T10:00:00+08:00"},
                {**order, "external_id": "B-3", "ordered_at": 1700000000},
            ]
        },
    )
    results = response.json()["results"]
    assert "id" in results[0]
    for result in results[1:]:
        assert result["error"]["code"] == "invalid"
        assert "1900" in result["error"]["errors"]["ordered_at"][0]


@pytest.mark.parametrize("value", DAYS.values(), ids=DAYS.keys())
def test_every_date_filter_refuses_a_bad_date(org, value):
    survey = make_survey(org.admin)
    api = api_client_for(org.admin)
    for path, params in (
        (f"/api/v1/surveys/{survey.pk}/results", {"date_from": value}),
        (f"/api/v1/surveys/{survey.pk}/results", {"date_to": value}),
        ("/api/v1/lifecycle/stats", {"from": value}),
        ("/api/v1/lifecycle/stats", {"to": value}),
    ):
        response = api.get(path, params)
        assert response.status_code == 422, (path, response.content)
        errors = response.json()["errors"]
        assert any("1900" in m for messages in errors.values() for m in messages), errors
    for value in ("9999-12-31", "1700000000"):
        assert api.get("/api/v1/care/agenda", {"date": value}).status_code == 422


def test_good_times_still_pass(org, world):
    api = api_client_for(org.sales)
    c = world["customer"]
    created = api.post(
        "/api/v1/tasks",
        {"customer_id": c.pk, "kind": "call", "due_at": "2100-12-31T10:00:00+08:00"},
    )
    assert created.status_code == 201, created.content
    logged = api.post(
        "/api/v1/interactions",
        {"customer_id": c.pk, "kind": "call", "occurred_at": "1900-01-01T10:00:00Z"},
    )
    assert logged.status_code == 201, logged.content
    patched = api.patch(f"/api/v1/customers/{c.pk}", {"birthday": "1900-01-01", "version": 1})
    assert patched.status_code == 200, patched.content
