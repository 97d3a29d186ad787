"""/api/v1/opportunities and /api/v1/analytics/forecast: create, list, read, change with
the version, move, win, lose; errors as JSON with stable codes; refused roles."""

from __future__ import annotations

import pytest

from kehu.orders.models import Order
from kehu.pipeline.models import LossReason, Opportunity, Status
from tests.api.conftest import api_client_for

pytestmark = pytest.mark.django_db

BASE = "/api/v1/opportunities"


@pytest.fixture
def as_user():
    return api_client_for


def test_create_read_and_list(org, book, tea, as_user):
    api = as_user(org.sales)
    created = api.post(
        BASE,
        {
            "customer_id": book["own"].pk,
            "name": "年度茶礼",
            "expected_close_date": "2027-01-15",
            "lines": [{"product_id": tea.pk, "quantity": "4"}],
            "competitors": "竹叶青",
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["phase"] == "interest" and body["amount"] == "400.00"
    assert body["probability"] == 10 and body["probability_is_default"] is True
    assert body["weighted_amount"] == "40.00" and body["owner"]["id"] == org.sales.pk
    assert body["lines"][0]["product_id"] == tea.pk and body["history"][0]["to_phase"] == "interest"
    read = api.get(f"{BASE}/{body['id']}")
    assert read.status_code == 200 and read["ETag"] == f'"{body["version"]}"'
    listed = api.get(BASE).json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]


def test_create_for_a_customer_not_visible_is_404(org, book, as_user):
    response = as_user(org.sales).post(BASE, {"customer_id": book["west"].pk, "name": "x"})
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    response = as_user(org.analyst).post(BASE, {"customer_id": book["own"].pk, "name": "x"})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert not Opportunity.objects.exists()


def test_patch_needs_the_version_and_refuses_a_stale_one(org, deals, as_user):
    api = as_user(org.sales)
    url = f"{BASE}/{deals['own'].pk}"
    missing = api.patch(url, {"next_step": "报价"})
    assert missing.status_code == 428 and missing.json()["code"] == "version_required"
    ok = api.patch(url, {"next_step": "报价", "probability": 40, "version": deals["own"].version})
    assert ok.status_code == 200 and ok.json()["probability"] == 40
    stale = api.patch(url, {"next_step": "拜访", "version": deals["own"].version})
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    assert stale.json()["details"]["current_version"] == deals["own"].version + 1
    assert Opportunity.objects.get(pk=deals["own"].pk).next_step == "报价"


def test_phase_move(org, deals, as_user):
    api = as_user(org.sales)
    response = api.post(f"{BASE}/{deals['own'].pk}/phase", {"phase": "solution"})
    assert response.status_code == 200
    body = response.json()
    assert body["phase"] == "solution" and body["probability"] == 30
    assert [h["to_phase"] for h in body["history"]] == ["interest", "solution"]
    unknown = api.post(f"{BASE}/{deals['own'].pk}/phase", {"phase": "nope"})
    assert unknown.status_code == 422 and "phase" in unknown.json()["errors"]


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        ("east_sales2", 404, "not_found"),
        ("west_manager", 404, "not_found"),
        ("analyst", 403, "forbidden"),
        ("service", 403, "forbidden"),
    ],
)
def test_refused_roles_change_nothing(org, deals, as_user, role, status, code):
    api = as_user(getattr(org, role))
    pk = deals["own"].pk
    for path, body in (
        ("phase", {"phase": "selling"}),
        ("won", {}),
        ("lost", {"reason_id": LossReason.objects.first().pk}),
    ):
        response = api.post(f"{BASE}/{pk}/{path}", body)
        assert (response.status_code, response.json()["code"]) == (status, code)
    deal = Opportunity.objects.get(pk=pk)
    assert deal.status == Status.OPEN and deal.version == deals["own"].version
    assert not Order.objects.exists()


def test_won_records_the_order(org, book, deals, as_user):
    response = as_user(org.sales).post(
        f"{BASE}/{deals['own'].pk}/won", {"payment_status": "unpaid"}
    )
    assert response.status_code == 200
    body = response.json()
    order = Order.objects.get(pk=body["order_id"])
    assert body["status"] == "won" and order.customer == book["own"]
    assert order.payment_status == "unpaid"
    again = as_user(org.sales).post(f"{BASE}/{deals['own'].pk}/won", {})
    assert again.status_code == 409 and again.json()["code"] == "closed"
    assert Order.objects.count() == 1


def test_won_without_products_or_amount_is_invalid(org, book, as_user):
    api = as_user(org.sales)
    created = api.post(BASE, {"customer_id": book["own"].pk, "name": "空单"}).json()
    response = api.post(f"{BASE}/{created['id']}/won", {})
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    assert "amount" in response.json()["errors"]
    assert not Order.objects.exists()


def test_lost_with_a_reason(org, deals, as_user):
    reason = LossReason.objects.first()
    response = as_user(org.sales).post(
        f"{BASE}/{deals['own'].pk}/lost", {"reason_id": reason.pk, "note": "预算砍了"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "lost" and body["loss_reason"]["id"] == reason.pk
    assert body["probability"] == 0


def test_the_forecast(org, deals, as_user):
    body = as_user(org.manager).get("/api/v1/analytics/forecast").json()
    # the east team's two: (300 + 500) × 10 %
    assert body["total"]["count"] == 2 and body["total"]["weighted"] == "80.00"
    assert {b["label"] for b in body["teams"]} == {"华东"}
    bad = as_user(org.manager).get(
        "/api/v1/analytics/forecast", {"start": "2027-02-01", "end": "2027-01-01"}
    )
    assert bad.status_code == 422


def test_phases_and_loss_reasons(org, as_user):
    phases = as_user(org.sales).get("/api/v1/pipeline/phases").json()
    assert [p["key"] for p in phases] == ["interest", "solution", "selling", "follow_through"]
    assert as_user(org.sales).get("/api/v1/pipeline/loss-reasons").json()
