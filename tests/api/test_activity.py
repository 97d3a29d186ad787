"""/api/v1 interactions, tasks and timeline — and the refusals."""

from __future__ import annotations

import pytest

from kehu.followups.models import Task
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def mine(org):
    return make_customer(org.sales, name="甲")


def test_interaction_and_timeline(org, as_user, mine):
    api = as_user(org.sales)
    created = api.post(
        "/api/v1/interactions",
        {
            "customer_id": mine.pk,
            "kind": "call",
            "notes": "询价",
            "occurred_at": "2026-11-20T10:00:00+08:00",
        },
    )
    assert created.status_code == 201 and created.json()["kind"] == "call"
    page = api.get(f"/api/v1/customers/{mine.pk}/timeline", {"limit": 2}).json()
    assert page["items"][0]["kind"] in {"interaction", "change", "owner", "lifecycle"}
    assert page["next"]
    older = api.get(f"/api/v1/customers/{mine.pk}/timeline", {"before": page["next"]}).json()
    assert older["items"]
    only = api.get(f"/api/v1/customers/{mine.pk}/timeline", {"kind": "interaction"}).json()
    assert [i["kind"] for i in only["items"]] == ["interaction"]
    bad = api.get(f"/api/v1/customers/{mine.pk}/timeline", {"kind": "nope"})
    assert bad.status_code == 422
    assert api.get(f"/api/v1/customers/{mine.pk}/timeline", {"before": "x"}).status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "fax"},
        {"kind": "call", "occurred_at": "not a date"},
        {"kind": "call", "occurred_at": "2026-11-20T10:00:00"},  # no time zone
        {"kind": "call", "duration_minutes": -1},
        {"kind": "call", "extra": 1},
    ],
)
def test_interaction_bad_input(org, as_user, mine, body):
    response = as_user(org.sales).post("/api/v1/interactions", {"customer_id": mine.pk, **body})
    assert response.status_code == 422


def test_interaction_refusals(org, as_user, mine):
    body = {"customer_id": mine.pk, "kind": "call"}
    assert as_user(org.west_sales).post("/api/v1/interactions", body).status_code == 404
    assert as_user(org.analyst).post("/api/v1/interactions", body).status_code == 403
    assert as_user(org.service).post("/api/v1/interactions", body).status_code == 201


def test_task_crud(org, as_user, mine):
    api = as_user(org.sales)
    created = api.post(
        "/api/v1/tasks",
        {"customer_id": mine.pk, "kind": "visit", "due_at": "2026-12-01T10:00:00+08:00"},
    )
    assert created.status_code == 201
    task = created.json()
    assert task["title"] == "上门拜访" and task["assignee_id"] == org.sales.pk
    url = f"/api/v1/tasks/{task['id']}"
    assert api.patch(url, {"title": "改"}).status_code == 428
    changed = api.patch(url, {"title": "改", "version": task["version"]})
    assert changed.status_code == 200 and changed.json()["title"] == "改"
    stale = api.patch(url, {"title": "再改", "version": task["version"]})
    assert stale.status_code == 409
    assert api.get("/api/v1/tasks", {"status": "open"}).json()["count"] == 1
    assert as_user(org.west_sales).get(url).status_code == 404
    assert as_user(org.west_sales).get("/api/v1/tasks").json()["count"] == 0
    assert as_user(org.analyst).post(f"{url}/finish", {"status": "done"}).status_code == 403
    done = api.post(f"{url}/finish", {"status": "done", "result": "已拜访"})
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert api.post(f"{url}/finish", {"status": "done"}).status_code == 409
    assert api.delete(url).status_code == 204
    assert not Task.objects.exists()


def test_task_refusals(org, as_user, mine):
    body = {"customer_id": mine.pk, "kind": "call", "due_at": "2026-12-01T10:00:00+08:00"}
    api = as_user(org.sales)
    assert api.post("/api/v1/tasks", {**body, "assignee_id": org.west_sales.pk}).status_code == 422
    assert api.post("/api/v1/tasks", {**body, "due_at": "2026-12-01"}).status_code == 422
    assert as_user(org.west_sales).post("/api/v1/tasks", body).status_code == 404
    assert api.get("/api/v1/tasks/999999").status_code == 404
