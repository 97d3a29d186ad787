"""/api/v1/exits and /api/v1/analytics/exits: the services and access rules of the pages."""

from __future__ import annotations

import pytest
from django.test import Client

from kehu.accounts.services import token_create
from kehu.exits.models import ExitReason, ExitRecord
from kehu.exits.services import exit_record
from tests.factories import make_customer


def api(user) -> Client:
    _token, raw = token_create(user=user, name="t")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_create_list_read_and_explain(org):
    customer = make_customer(org.sales, name="张三", source_channel="website")
    client = api(org.sales)
    bad = client.post(
        "/api/v1/exits",
        {"customer_id": customer.pk, "reason": "competitor"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "competitor" in bad.json()["errors"]
    assert not ExitRecord.objects.exists()
    made = client.post(
        "/api/v1/exits",
        {"customer_id": customer.pk, "reason": "competitor", "competitor": "某茶行"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["reason"]["key"] == "competitor" and body["source"] == "manual"
    assert body["channel"] == "website"
    listed = client.get("/api/v1/exits", {"reason": "competitor"}).json()
    assert [e["id"] for e in listed["items"]] == [body["id"]]
    assert client.get("/api/v1/exits", {"reason": "price"}).json()["count"] == 0
    patched = client.patch(
        f"/api/v1/exits/{body['id']}",
        {"version": body["version"], "reason": "price"},
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["reason"]["key"] == "price"
    stale = client.patch(
        f"/api/v1/exits/{body['id']}",
        {"version": body["version"], "reason": "service"},
        content_type="application/json",
    )
    assert stale.status_code == 409
    reasons = client.get("/api/v1/exits/reasons").json()
    assert {"closed", "unknown"} <= {r["key"] for r in reasons}


@pytest.mark.parametrize("role", ["west_sales", "east_sales2", "west_manager"])
def test_others_customers_exits_are_not_found(org, role):
    customer = make_customer(org.sales, name="李四")
    record = exit_record(
        actor=org.sales, customer=customer, reason=ExitReason.objects.get(key="price")
    )
    client = api(getattr(org, role))
    assert client.get(f"/api/v1/exits/{record.pk}").status_code == 404
    assert client.get("/api/v1/exits").json()["count"] == 0
    made = client.post(
        "/api/v1/exits",
        {"customer_id": customer.pk, "reason": "price"},
        content_type="application/json",
    )
    assert made.status_code == 404


@pytest.mark.parametrize("role", ["service", "analyst"])
def test_read_only_roles_may_read_but_not_record(org, role):
    customer = make_customer(org.sales, name="王五")
    record = exit_record(
        actor=org.sales, customer=customer, reason=ExitReason.objects.get(key="price")
    )
    client = api(getattr(org, role))
    assert client.get(f"/api/v1/exits/{record.pk}").status_code == 200
    other = make_customer(org.sales, name="赵六")
    made = client.post(
        "/api/v1/exits",
        {"customer_id": other.pk, "reason": "price"},
        content_type="application/json",
    )
    assert made.status_code == 403
    patched = client.patch(
        f"/api/v1/exits/{record.pk}",
        {"version": record.version, "reason": "service"},
        content_type="application/json",
    )
    assert patched.status_code == 403


def test_analytics_grouped_by_reason_and_channel(org):
    price = ExitReason.objects.get(key="price")
    for name, channel in (("甲", "website"), ("乙", "website"), ("丙", "referral")):
        customer = make_customer(org.sales, name=name, source_channel=channel)
        exit_record(actor=org.sales, customer=customer, reason=price)
    body = api(org.admin).get("/api/v1/analytics/exits", {"by": "channel"}).json()
    assert body["total"]["exits"] == 3
    groups = {g["key"]: g["exits"] for g in body["groups"]}
    assert groups == {"website": 2, "referral": 1}
    assert api(org.west_sales).get("/api/v1/analytics/exits").json()["total"]["exits"] == 0
    assert api(org.admin).get("/api/v1/analytics/exits", {"by": "nope"}).status_code == 422
