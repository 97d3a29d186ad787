"""/api/v1/playbooks and a customer's runs."""

from __future__ import annotations

import pytest

from kehu.retention.models import PlaybookRun
from tests.api.conftest import api_client_for
from tests.factories import make_customer
from tests.retention.conftest import make_playbook

BODY = {
    "name": "API 方案",
    "trigger": "manual",
    "holdout_percent": 0,
    "steps": [{"kind": "call", "title": "回访", "due_days": 1}],
}


def test_create_read_update_with_version(as_user, org):
    api = as_user(org.manager)
    created = api.post("/api/v1/playbooks", BODY)
    assert created.status_code == 201
    body = created.json()
    assert body["steps"][0]["kind"] == "call" and body["version"] == 1
    path = f"/api/v1/playbooks/{body['id']}"
    assert api.get(path).json()["name"] == "API 方案"
    assert api.patch(path, {"name": "新名字"}).status_code == 428
    changed = api.patch(path, {"name": "新名字", "version": 1})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    assert api.patch(path, {"name": "再改", "version": 1}).status_code == 409
    assert [p["name"] for p in api.get("/api/v1/playbooks").json()] == ["新名字"]


def test_start_report_and_the_customer_runs(as_user, org):
    customer = make_customer(org.sales)
    playbook = make_playbook(org.manager)
    api = as_user(org.manager)
    path = f"/api/v1/playbooks/{playbook.pk}"
    started = api.post(f"{path}/start", {"customer_ids": [customer.pk, 987654321]}).json()
    assert started["started"] == [customer.pk]
    assert started["refused"][0]["code"] == "not_found"
    again = api.post(f"{path}/start", {"customer_ids": [customer.pk]}).json()
    assert again["refused"][0]["code"] == "already_open"
    report = api.get(f"{path}/report", {"by": "team"}).json()
    assert report["summary"]["runs"] == 1 and report["summary"]["uplift"]["enough"] is False
    assert report["rows"][0]["label"] == "华东"
    runs = as_user(org.sales).get(f"/api/v1/customers/{customer.pk}/retention").json()
    assert runs[0]["outcome"] == "open" and len(runs[0]["steps"]) == 2
    assert runs[0]["steps"][0]["state"] == "open"


def test_refused_roles(as_user, org):
    customer = make_customer(org.sales)
    playbook = make_playbook(org.manager)
    path = f"/api/v1/playbooks/{playbook.pk}"
    assert as_user(org.sales).get("/api/v1/playbooks").status_code == 403
    assert as_user(org.service).get(f"{path}/report").status_code == 403
    assert as_user(org.analyst).get(f"{path}/report").status_code == 200
    assert as_user(org.analyst).post("/api/v1/playbooks", BODY).status_code == 403
    refused = as_user(org.analyst).post(f"{path}/start", {"customer_ids": [customer.pk]})
    assert refused.status_code == 403 and not PlaybookRun.objects.exists()
    west = as_user(org.west_sales).get(f"/api/v1/customers/{customer.pk}/retention")
    assert west.status_code == 404


@pytest.fixture
def as_user():
    return api_client_for


def test_the_list_reads_a_fixed_number_of_queries(org, django_assert_max_num_queries):
    for i in range(5):
        make_playbook(org.manager, name=f"方案{i}")
    api = api_client_for(org.manager)
    api.get("/api/v1/playbooks")
    with django_assert_max_num_queries(8):
        assert len(api.get("/api/v1/playbooks").json()) == 5
