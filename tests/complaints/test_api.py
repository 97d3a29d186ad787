"""/api/v1 complaints: create, read, change and move with a version, a customer's
complaints — per role, and the bad input."""

from __future__ import annotations

import pytest

from kehu.complaints.models import Complaint, Status
from tests.api.conftest import api_client_for
from tests.complaints.factories import ago, make_complaint

pytestmark = pytest.mark.django_db


def create(api, customer, **extra):
    return api.post(
        "/api/v1/complaints",
        {"customer_id": customer.pk, "channel": "wechat", "description": "快递破损", **extra},
    )


def test_create_read_and_walk_the_workflow(org, book):
    api = api_client_for(org.service)
    created = create(api, book["own"], severity="critical", category="delivery")
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "received" and body["handler"]["id"] == org.service.pk
    assert body["due_kind"] == "response" and 0 < body["seconds_left"] <= 3600
    assert body["steps"][0]["kind"] == "created"
    url = f"/api/v1/complaints/{body['id']}"
    read = api.get(url)
    assert read.status_code == 200 and read["ETag"] == f'"{body["version"]}"'
    version = body["version"]
    for status, extra in (
        ("recorded", {}),
        ("handling", {"note": "已联系快递"}),
        ("feedback", {"feedback": "补发一件"}),
        ("closed", {"customer_response": "满意"}),
    ):
        moved = api.patch(url, {"version": version, "status": status, **extra})
        assert moved.status_code == 200, moved.json()
        assert moved.json()["status"] == status
        version = moved.json()["version"]
    final = api.get(url).json()
    assert final["closed_at"] and final["customer_response"] == "满意"
    assert [s["to_status"] for s in final["steps"]] == [
        "received",
        "recorded",
        "handling",
        "feedback",
        "closed",
    ]
    reopened = api.patch(url, {"status": "handling"}, **{"If-Match": f'"{version}"'})
    assert reopened.status_code == 200 and reopened.json()["status"] == "handling"


def test_patch_fields_and_status_together_in_one_version(org, book):
    api = api_client_for(org.manager)
    complaint = make_complaint(org.service, book["own"])
    response = api.patch(
        f"/api/v1/complaints/{complaint.pk}",
        {
            "version": complaint.version,
            "severity": "high",
            "handler_id": org.manager.pk,
            "status": "recorded",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["severity"] == "high" and body["status"] == "recorded"
    assert body["handler"]["id"] == org.manager.pk
    assert body["version"] == complaint.version + 2


def test_stale_version_and_illegal_transition_are_409(org, book):
    api = api_client_for(org.service)
    complaint = make_complaint(org.service, book["own"])
    url = f"/api/v1/complaints/{complaint.pk}"
    assert api.patch(url, {"status": "recorded"}).status_code == 428
    assert api.patch(url, {"version": complaint.version, "status": "recorded"}).status_code == 200
    stale = api.patch(url, {"version": complaint.version, "status": "handling"})
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    illegal = api.patch(
        url, {"version": complaint.version + 1, "status": "feedback", "feedback": "x"}
    )
    assert illegal.status_code == 409 and illegal.json()["code"] == "invalid_transition"
    assert illegal.json()["details"]["allowed"] == ["handling", "closed"]
    # A field change with an illegal move: neither is kept.
    both = api.patch(
        url, {"version": complaint.version + 1, "severity": "low", "status": "received"}
    )
    assert both.status_code == 409
    fresh = Complaint.objects.get(pk=complaint.pk)
    assert fresh.status == Status.RECORDED and fresh.severity == "medium"
    assert fresh.version == complaint.version + 1


def test_closing_without_feedback_response_or_reason_is_422(org, book):
    api = api_client_for(org.service)
    complaint = make_complaint(org.service, book["own"])
    url = f"/api/v1/complaints/{complaint.pk}"
    response = api.patch(url, {"version": complaint.version, "status": "closed"})
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    assert "close_reason" in response.json()["errors"]
    assert Complaint.objects.get(pk=complaint.pk).status == Status.RECEIVED
    closed = api.patch(
        url, {"version": complaint.version, "status": "closed", "close_reason": "重复"}
    )
    assert closed.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"severity": "catastrophic"},
        {"channel": "fax"},
        {"category": "misc"},
        {"description": ""},
        {"description": "x" * 5001},
        {"received_at": "2026-11-20T10:00:00"},  # no time zone
        {"received_at": "2099-01-01T10:00:00+08:00"},
        {"order_id": 0},
        {"handler_id": 2**63},
        {"status": "closed"},
        {"description": "bad\u0000byte"},
    ],
)
def test_create_bad_input_is_422(org, book, body):
    response = create(api_client_for(org.service), book["own"], **body)
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    assert not Complaint.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"severity": "huge"},
        {"status": "archived"},
        {"channel": None, "status": None, "colour": "red"},
        {"note": "x" * 2001},
    ],
)
def test_patch_bad_input_is_422(org, book, body):
    complaint = make_complaint(org.service, book["own"])
    response = api_client_for(org.service).patch(
        f"/api/v1/complaints/{complaint.pk}", {"version": complaint.version, **body}
    )
    assert response.status_code == 422


def test_create_refusals_per_role(org, book):
    assert create(api_client_for(org.sales), book["own"]).status_code == 201
    assert create(api_client_for(org.sales), book["other"]).status_code == 404
    assert create(api_client_for(org.sales), book["pool"]).status_code == 403
    assert create(api_client_for(org.analyst), book["own"]).status_code == 403
    assert create(api_client_for(org.west_manager), book["own"]).status_code == 404
    assert create(api_client_for(org.service), book["west"]).status_code == 201


def test_read_and_patch_refusals_per_role(org, book):
    complaint = make_complaint(org.service, book["own"])
    url = f"/api/v1/complaints/{complaint.pk}"
    body = {"version": complaint.version, "status": "recorded"}
    for role in ("admin", "service", "analyst", "manager", "sales"):
        assert api_client_for(getattr(org, role)).get(url).status_code == 200, role
    for role in ("west_sales", "west_manager", "east_sales2"):
        response = api_client_for(getattr(org, role)).get(url)
        assert response.status_code == 404 and response.json()["code"] == "not_found", role
        assert api_client_for(getattr(org, role)).patch(url, body).status_code == 404
    for role in ("analyst", "sales"):
        response = api_client_for(getattr(org, role)).patch(url, body)
        assert response.status_code == 403 and response.json()["code"] == "forbidden", role
    assert api_client_for(org.service).get("/api/v1/complaints/999999999").status_code == 404
    assert api_client_for(org.service).get(f"/api/v1/complaints/{2**64}").status_code == 404
    assert api_client_for(org.service).get("/api/v1/complaints/x").status_code == 404
    assert Complaint.objects.get(pk=complaint.pk).status == Status.RECEIVED


def test_unauthenticated_is_401(org, book):
    from tests.api.conftest import ApiClient

    complaint = make_complaint(org.service, book["own"])
    assert ApiClient().get(f"/api/v1/complaints/{complaint.pk}").status_code == 401
    assert ApiClient().post("/api/v1/complaints", {}).status_code == 401


def test_customer_complaints_paginated_and_scoped(org, book):
    for n in range(3):
        make_complaint(org.service, book["own"], description=f"第{n}件", received_at=ago(hours=n))
    make_complaint(org.service, book["west"])
    api = api_client_for(org.sales)
    url = f"/api/v1/customers/{book['own'].pk}/complaints"
    page = api.get(url, {"page_size": 2}).json()
    assert page["count"] == 3 and page["num_pages"] == 2 and len(page["items"]) == 2
    assert page["items"][0]["description"] == "第0件"  # newest first
    assert api.get(url, {"page": 2, "page_size": 2}).json()["items"][0]["description"] == "第2件"
    response = api.get(url, {"page": 3, "page_size": 2})
    assert response.status_code == 404 and response.json()["code"] == "page_out_of_range"
    assert api.get(url, {"status": "closed"}).json()["count"] == 0
    assert api.get(url, {"status": "nope"}).status_code == 422
    assert api.get(url, {"page_size": 1000}).status_code == 422
    assert api.get(f"/api/v1/customers/{book['west'].pk}/complaints").status_code == 404
    # A pool customer: visible to sales, its complaints are not.
    make_complaint(org.service, book["pool"])
    pool = api.get(f"/api/v1/customers/{book['pool'].pk}/complaints")
    assert pool.status_code == 200 and pool.json()["count"] == 0
    assert api_client_for(org.analyst).get(url).json()["count"] == 3
