"""/api/v1: claim, release, transfer, duplicates, merge, undo — and every refusal."""

from __future__ import annotations

import pytest

from kehu.customers.duplicates import duplicate_scan, duplicate_scan_save
from kehu.customers.models import Customer, OwnerChange
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

BASE = "/api/v1/customers"


@pytest.fixture
def pooled(org):
    return make_customer(None, name="公海客户", actor=org.admin, phones=("13700000000",))


def test_claim_then_release_with_reason(org, as_user, pooled):
    api = as_user(org.sales)
    response = api.post(f"{BASE}/{pooled.pk}/claim")
    assert response.status_code == 200
    assert response.json()["owner"]["username"] == org.sales.username
    assert response.json()["phone"] == "+8613700000000"  # visible once claimed
    again = as_user(org.east_sales2).post(f"{BASE}/{pooled.pk}/claim")
    assert again.status_code == 409 and again.json()["code"] == "taken"  # just claimed
    assert api.post(f"{BASE}/{pooled.pk}/claim").json()["code"] == "already_yours"
    missing = api.post(f"{BASE}/{pooled.pk}/release", {})
    assert missing.status_code == 422
    released = api.post(f"{BASE}/{pooled.pk}/release", {"reason": "暂无需求"})
    assert released.status_code == 200 and released.json()["owner"] is None
    blocked = api.post(f"{BASE}/{pooled.pk}/claim")
    assert blocked.status_code == 409 and blocked.json()["code"] == "blocked"
    kinds = list(OwnerChange.objects.filter(customer=pooled).values_list("kind", flat=True))
    assert sorted(kinds) == ["claim", "release"]


def test_claim_refusals(org, as_user, pooled):
    assert as_user(org.analyst).post(f"{BASE}/{pooled.pk}/claim").status_code == 403
    assert as_user(org.service).post(f"{BASE}/{pooled.pk}/claim").status_code == 403
    west = make_customer(org.west_sales, name="西")
    assert as_user(org.sales).post(f"{BASE}/{west.pk}/claim").status_code == 404
    assert as_user(org.sales).post(f"{BASE}/999999/claim").status_code == 404


def test_transfer(org, as_user):
    customer = make_customer(org.sales, name="东")
    api = as_user(org.manager)
    moved = api.post(
        f"{BASE}/{customer.pk}/transfer", {"to_user": org.east_sales2.pk, "reason": "离职交接"}
    )
    assert moved.status_code == 200 and moved.json()["owner"]["id"] == org.east_sales2.pk
    again = api.post(
        f"{BASE}/{customer.pk}/transfer", {"to_user": org.east_sales2.pk, "reason": "再次"}
    )
    assert again.status_code == 409 and again.json()["code"] == "already_owner"
    other_team = api.post(
        f"{BASE}/{customer.pk}/transfer", {"to_user": org.west_sales.pk, "reason": "x"}
    )
    assert other_team.json()["code"] == "other_team"
    org.sales.is_active = False
    org.sales.save()
    inactive = api.post(f"{BASE}/{customer.pk}/transfer", {"to_user": org.sales.pk, "reason": "x"})
    assert inactive.json()["code"] == "inactive_user"
    as_sales = as_user(org.east_sales2).post(
        f"{BASE}/{customer.pk}/transfer", {"to_user": org.manager.pk, "reason": "x"}
    )
    assert as_sales.status_code == 403
    assert Customer.objects.get(pk=customer.pk).owner == org.east_sales2


def test_create_answers_409_with_candidates_unless_allowed(org, as_user):
    make_customer(org.west_sales, name="王小明", phones=("13911112222",))
    body = {"name": "王晓明", "phones": ["13911112222"]}
    refused = as_user(org.sales).post(BASE, body)
    assert refused.status_code == 409
    data = refused.json()
    assert data["code"] == "duplicate" and data["details"]["can_override"] is False
    assert data["details"]["candidates"][0]["name"] == "王*明"
    assert as_user(org.sales).post(BASE, {**body, "allow_duplicate": True}).status_code == 409
    assert as_user(org.manager).post(BASE, {**body, "allow_duplicate": True}).status_code == 201
    assert as_user(org.admin).post(f"{BASE}?allow_duplicate=true", body).status_code == 201


def test_duplicates_list_and_merge_and_undo(org, as_user):
    a = make_customer(org.sales, name="张三", phones=("13800000001",))
    b = make_customer(org.sales, name="张叁", phones=("13800000001",), actor=org.admin)
    hidden = make_customer(org.west_sales, name="张三", phones=("13800000001",), actor=org.admin)
    duplicate_scan_save(duplicate_scan())
    sales = as_user(org.sales)
    listed = sales.get("/api/v1/duplicates").json()
    assert listed["count"] == 1  # the pair with the west customer is not theirs to see
    assert {listed["items"][0]["a"]["id"], listed["items"][0]["b"]["id"]} == {a.pk, b.pk}
    assert as_user(org.admin).get("/api/v1/duplicates").json()["count"] == 3
    assert sales.post(f"{BASE}/{a.pk}/merge", {"other_id": hidden.pk}).status_code == 404
    assert sales.post(f"{BASE}/{a.pk}/merge", {"other_id": a.pk}).status_code == 409
    assert (
        sales.post(f"{BASE}/{a.pk}/merge", {"other_id": b.pk, "fields": {"x": "self"}}).status_code
        == 422
    )
    merged = sales.post(f"{BASE}/{a.pk}/merge", {"other_id": b.pk, "fields": {"name": "other"}})
    assert merged.status_code == 200 and merged.json()["customer"]["name"] == "张叁"
    assert sales.get(f"{BASE}/{b.pk}").status_code == 404
    assert sales.get("/api/v1/duplicates").json()["count"] == 0
    merge_id = merged.json()["merge_id"]
    assert sales.post(f"/api/v1/merges/{merge_id}/undo").status_code == 403
    undone = as_user(org.admin).post(f"/api/v1/merges/{merge_id}/undo")
    assert undone.status_code == 200 and undone.json()["name"] == "张三"
    assert sales.get(f"{BASE}/{b.pk}").status_code == 200
    assert as_user(org.admin).post("/api/v1/merges/999/undo").status_code == 404
