"""/api/v1: manual flags — definitions (admins) and a customer's flags — and refusals."""

from __future__ import annotations

import pytest

from kehu.customers.models import Customer
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def mine(org):
    return make_customer(org.sales, name="甲")


def test_flags_through_the_api(org, mine, as_user):
    admin = as_user(org.admin)
    assert {f["key"] for f in as_user(org.sales).get("/api/v1/flags").json()} >= {"key_account"}
    assert as_user(org.manager).post("/api/v1/flags", {"key": "a", "name": "a"}).status_code == 403
    created = admin.post("/api/v1/flags", {"key": "vip", "name": "VIP", "color": "#ffc107"})
    assert created.status_code == 201 and created.json()["version"] == 1
    assert admin.post("/api/v1/flags", {"key": "vip", "name": "VIP2"}).status_code == 422
    assert admin.patch("/api/v1/flags/vip", {"name": "贵宾"}).status_code == 428
    renamed = admin.patch("/api/v1/flags/vip", {"name": "贵宾", "version": 1})
    assert renamed.status_code == 200 and renamed.json()["name"] == "贵宾"
    assert admin.patch("/api/v1/flags/vip", {"name": "x", "version": 1}).status_code == 409
    assert admin.patch("/api/v1/flags/nope", {"version": 1}).status_code == 404
    sales = as_user(org.sales)
    url = f"/api/v1/customers/{mine.pk}/flags"
    assert [f["key"] for f in sales.client.put(f"{url}/vip", headers=sales.headers).json()] == [
        "vip"
    ]
    assert sales.get(url).json()[0]["set_by"] == org.sales.label
    west = as_user(org.west_sales)
    assert west.get(url).status_code == 404
    assert west.client.put(f"{url}/vip", headers=west.headers).status_code == 404
    service = as_user(org.service)
    assert service.get(url).status_code == 200
    assert service.delete(f"{url}/vip").status_code == 403
    assert sales.delete(f"{url}/vip").json() == []
    admin.patch("/api/v1/flags/vip", {"retired": True, "version": 2})
    refused = sales.client.put(f"{url}/vip", headers=sales.headers)
    assert refused.status_code == 422
    assert Customer.objects.get(pk=mine.pk).lifecycle_flags.count() == 0


def test_a_key_no_record_can_have_is_not_found(org, mine, as_user):
    """A NUL in the path reached PostgreSQL, which refuses it in text (a 500 found by
    schemathesis); a key that is no slug is answered like a missing one."""
    admin = as_user(org.admin)
    for key in ("%00", "a%00b", "键", "x" * 41):
        assert admin.patch(f"/api/v1/flags/{key}", {"version": 1}).status_code == 404
        assert admin.client.post(
            f"/api/v1/lifecycle/models/{key}/apply", headers=admin.headers
        ).status_code in (404, 405)
    sales = as_user(org.sales)
    url = f"/api/v1/customers/{mine.pk}/flags/%00"
    assert sales.client.put(url, headers=sales.headers).status_code == 404
