"""/api/v1/leads: create (idempotent by source + external_id), list, read, update with
the version, attempts, qualify, convert (the customer keeps ``lead_id``), claim — per
role, and the bad input."""

from __future__ import annotations

import pytest

from kehu.leads.models import Lead, LeadStatus
from tests.api.conftest import api_client_for

pytestmark = pytest.mark.django_db

BODY = {"name": "韩梅梅", "phone": "13900139000", "source": "shop", "external_id": "A-1"}


def test_create_is_idempotent_by_source_and_external_id(org):
    api = api_client_for(org.admin)
    first = api.post("/api/v1/leads", BODY)
    assert first.status_code == 201
    body = first.json()
    assert body["phone"] == "+8613900139000" and body["status"] == "new"
    assert body["phone_check"] == "valid" and body["attempts"] == []
    again = api.post("/api/v1/leads", {**BODY, "name": "别的名字"})
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert again.json()["name"] == "韩梅梅" and Lead.objects.count() == 1


def test_bad_input_is_a_clear_422_and_nothing_is_made(org):
    api = api_client_for(org.admin)
    foreign = api.post("/api/v1/leads", {**BODY, "phone": "(415) 555-0100"})
    assert foreign.status_code == 422 and foreign.json()["code"] == "invalid"
    assert "境外" in foreign.json()["errors"]["phone"][0]
    assert api.post("/api/v1/leads", {**BODY, "name": ""}).status_code == 422
    assert api.post("/api/v1/leads", {**BODY, "bogus": 1}).status_code == 422
    assert not Lead.objects.exists()


def test_the_whole_path_through_the_api(org, reason):
    api = api_client_for(org.sales)
    lead = api.post("/api/v1/leads", {"name": "周先生", "phone": "13912345678"}).json()
    url = f"/api/v1/leads/{lead['id']}"
    assert api.get(url).json()["owner"] is None  # the rules' default: the pool
    claimed = api.post(f"{url}/claim")
    assert claimed.status_code == 200 and claimed.json()["owner"]["id"] == org.sales.pk
    version = claimed.json()["version"]
    stale = api.patch(url, {"version": version - 1, "city": "杭州"})
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    assert api.patch(url, {"city": "杭州"}).status_code == 428
    patched = api.patch(url, {"version": version, "city": "杭州"})
    assert patched.status_code == 200 and patched.json()["city"] == "杭州"
    attempt = api.post(f"{url}/attempts", {"outcome": "connected", "note": "有需求"})
    assert attempt.status_code == 201 and attempt.json()["outcome"] == "connected"
    assert api.post(f"{url}/attempts", {"outcome": "maybe"}).status_code == 422
    assert api.post(f"{url}/qualify", {"qualified": False}).status_code == 422
    too_early = api.post(f"{url}/convert", {})
    assert too_early.status_code == 409 and too_early.json()["code"] == "lead_state"
    qualified = api.post(f"{url}/qualify", {"qualified": True, "note": "预算明确"})
    assert qualified.status_code == 200 and qualified.json()["status"] == "qualified"
    converted = api.post(f"{url}/convert", {})
    assert converted.status_code == 201
    out = converted.json()
    customer_id = out["customer"]["id"]
    assert out["lead"]["status"] == "converted" and out["lead"]["customer_id"] == customer_id
    assert out["customer"]["lead_id"] == lead["id"] and out["opportunity_id"] is None
    read = api.get(f"/api/v1/customers/{customer_id}").json()
    assert read["lead_id"] == lead["id"]
    listed = api.get("/api/v1/customers").json()["items"]
    assert next(c for c in listed if c["id"] == customer_id)["lead_id"] == lead["id"]
    again = api.post(f"{url}/convert", {})
    assert again.status_code == 409 and again.json()["code"] == "lead_state"


def test_list_filters_and_scope(org, leads):
    api = api_client_for(org.west_sales)
    names = {row["name"] for row in api.get("/api/v1/leads").json()["items"]}
    assert names == {"西一", "池一"}
    pool = api.get("/api/v1/leads", {"pool": "true"}).json()["items"]
    assert [row["name"] for row in pool] == ["池一"] and pool[0]["phone"] is None
    assert api.get("/api/v1/leads", {"page": 50}).json()["code"] == "page_out_of_range"


@pytest.mark.parametrize("role", ["west_sales", "west_manager"])
def test_another_teams_lead_is_not_found(org, leads, role):
    api = api_client_for(getattr(org, role))
    url = f"/api/v1/leads/{leads['own'].pk}"
    assert api.get(url).status_code == 404
    assert api.patch(url, {"version": 1, "city": "x"}).status_code == 404
    assert api.post(f"{url}/attempts", {"outcome": "connected"}).status_code == 404
    assert api.post(f"{url}/qualify", {"qualified": True}).status_code == 404
    assert api.post(f"{url}/convert", {}).status_code == 404
    assert api.get("/api/v1/leads/99999999").status_code == 404


@pytest.mark.parametrize("role", ["service", "analyst"])
def test_read_only_roles_are_refused(org, leads, role):
    api = api_client_for(getattr(org, role))
    url = f"/api/v1/leads/{leads['own'].pk}"
    assert api.get(url).status_code == 200
    assert api.post("/api/v1/leads", BODY).json()["code"] == "forbidden"
    assert api.post(f"{url}/attempts", {"outcome": "connected"}).status_code == 403
    assert api.post(f"{url}/qualify", {"qualified": True}).status_code == 403
    assert api.post(f"/api/v1/leads/{leads['pool'].pk}/claim").status_code == 403
    assert Lead.objects.get(pk=leads["own"].pk).status == LeadStatus.NEW


def test_a_salesperson_may_not_give_a_lead_to_someone_else(org):
    api = api_client_for(org.sales)
    answer = api.post("/api/v1/leads", {**BODY, "owner_id": org.east_sales2.pk})
    assert answer.status_code == 422 and not Lead.objects.exists()
