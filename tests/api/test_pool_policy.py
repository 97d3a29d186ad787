"""/api/v1: the public pool's rules and a departing user's customers — and every refusal."""

from __future__ import annotations

import pytest

from kehu.customers.models import Customer, OwnerChange
from kehu.customers.ownership import pool_policy
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

POLICY = "/api/v1/pool/policy"


def test_read_the_rules(org, as_user):
    for role in ("sales", "manager", "admin"):
        response = as_user(getattr(org, role)).get(POLICY)
        assert response.status_code == 200
        assert response.json()["cap_sales"] == 500
        assert response["ETag"] == f'"{response.json()["version"]}"'
    for role in ("service", "analyst"):
        assert as_user(getattr(org, role)).get(POLICY).status_code == 403


def test_change_the_rules_with_the_version_read(org, as_user):
    api = as_user(org.admin)
    version = api.get(POLICY).json()["version"]
    assert api.patch(POLICY, {"cap_sales": 9}).status_code == 428
    changed = api.patch(POLICY, {"cap_sales": 9, "version": version})
    assert changed.status_code == 200 and changed.json()["cap_sales"] == 9
    assert changed.json()["version"] == version + 1
    stale = api.patch(POLICY, {"cap_sales": 10}, **{"If-Match": f'"{version}"'})
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    invalid = api.patch(POLICY, {"notice_days": 400, "version": version + 1})
    assert invalid.status_code == 422 and "notice_days" in invalid.json()["errors"]
    unknown = api.patch(POLICY, {"owner": 3, "version": version + 1})
    assert unknown.status_code == 422
    assert pool_policy().cap_sales == 9


@pytest.mark.parametrize("role", ["manager", "sales", "service", "analyst"])
def test_only_admins_change_the_rules(org, as_user, role):
    response = as_user(getattr(org, role)).patch(POLICY, {"cap_sales": 1, "version": 1})
    assert response.status_code == 403
    assert pool_policy().cap_sales == 500


def test_transfer_every_customer_of_a_departing_user(org, as_user):
    for i in range(3):
        make_customer(org.sales, name=f"东{i}")
    url = f"/api/v1/users/{org.sales.pk}/customers/transfer"
    body = {"to_user": org.east_sales2.pk, "reason": "离职交接"}
    assert as_user(org.west_manager).post(url, body).status_code == 404  # another team
    assert as_user(org.sales).post(url, body).status_code == 403
    assert as_user(org.east_sales2).post(url, body).status_code == 404
    assert as_user(org.analyst).post(url, body).status_code == 403
    response = as_user(org.manager).post(url, body)
    assert response.status_code == 200
    assert len(response.json()["moved"]) == 3 and response.json()["skipped"] == {}
    assert Customer.objects.filter(owner=org.east_sales2).count() == 3
    assert OwnerChange.objects.filter(kind="transfer", reason="离职交接").count() == 3
    other_team = as_user(org.manager).post(url, {"to_user": org.west_sales.pk, "reason": "x"})
    assert other_team.status_code == 409 and other_team.json()["code"] == "other_team"
    missing = as_user(org.admin).post("/api/v1/users/999999/customers/transfer", body)
    assert missing.status_code == 404
