"""/api/v1/customers/{id}/loyalty, /points, /redeem and ``referral_code`` on create."""

from __future__ import annotations

import pytest

from kehu.loyalty.models import Gift, Member, PointEntry
from kehu.loyalty.services import points_adjust
from tests.api.conftest import api_client_for

pytestmark = pytest.mark.django_db


def _url(customer, tail: str = "loyalty") -> str:
    return f"/api/v1/customers/{customer.pk}/{tail}"


def test_loyalty_of_a_customer_with_its_ledger_page(org, book):
    points_adjust(actor=org.admin, customer=book["own"], points=120, reason="活动")
    response = api_client_for(org.sales).get(_url(book["own"]), {"page_size": 1})
    assert response.status_code == 200
    body = response.json()
    assert (body["is_member"], body["balance"], body["owed"]) == (True, 120, 0)
    assert body["level"]["name"] == "普通会员"
    assert body["ledger"][0]["kind"] == "grant" and body["ledger_count"] == 1
    assert len(body["referral_code"]) == 8


def test_a_customer_not_yet_a_member_reads_as_zero(org, book):
    body = api_client_for(org.sales).get(_url(book["own"])).json()
    assert (body["is_member"], body["balance"], body["level"], body["ledger"]) == (
        False,
        0,
        None,
        [],
    )


@pytest.mark.parametrize("role", ["west_sales", "east_sales2", "west_manager"])
def test_a_customer_the_token_may_not_see_is_404(org, book, role):
    client = api_client_for(getattr(org, role))
    assert client.get(_url(book["own"])).status_code == 404
    response = client.post(_url(book["own"], "points"), {"points": 5, "reason": "x"})
    assert response.status_code == 404


def test_grant_and_deduct_through_the_api(org, book):
    client = api_client_for(org.manager)
    response = client.post(_url(book["own"], "points"), {"points": 50, "reason": "补偿"})
    assert response.status_code == 201 and response.json()["amount"] == 50
    response = client.post(_url(book["own"], "points"), {"points": -80, "reason": "纠正"})
    assert response.status_code == 422
    assert Member.objects.get(customer=book["own"]).balance == 50


@pytest.mark.parametrize("role", ["sales", "service", "analyst"])
def test_roles_that_may_not_grant_get_403(org, book, role):
    response = api_client_for(getattr(org, role)).post(
        _url(book["own"], "points"), {"points": 5, "reason": "x"}
    )
    assert response.status_code == 403
    assert not PointEntry.objects.exists()


def test_redeem_through_the_api_and_a_short_balance_is_422(org, book):
    gift = Gift.objects.create(name="茶杯", points_cost=40, stock=3)
    points_adjust(actor=org.admin, customer=book["own"], points=50, reason="活动")
    client = api_client_for(org.sales)
    response = client.post(_url(book["own"], "redeem"), {"item_id": gift.pk})
    assert response.status_code == 201 and response.json()["amount"] == -40
    response = client.post(_url(book["own"], "redeem"), {"item_id": gift.pk})
    assert response.status_code == 422
    assert "积分不足" in str(response.json())
    assert Member.objects.get(customer=book["own"]).balance == 10


def test_analyst_may_not_redeem(org, book):
    gift = Gift.objects.create(name="茶杯", points_cost=40)
    response = api_client_for(org.analyst).post(_url(book["own"], "redeem"), {"item_id": gift.pk})
    assert response.status_code == 403


def test_referral_code_on_customer_create(org, book):
    points_adjust(actor=org.admin, customer=book["own"], points=1, reason="入会")
    code = Member.objects.get(customer=book["own"]).referral_code
    client = api_client_for(org.sales)
    response = client.post("/api/v1/customers", {"name": "新朋友", "referral_code": code})
    assert response.status_code == 201, response.json()
    new_id = response.json()["id"]
    assert Member.objects.get(customer_id=new_id).referred_by_id == book["own"].pk
    response = client.post("/api/v1/customers", {"name": "另一位", "referral_code": "ZZZZZZZZ"})
    assert response.status_code == 422
    assert "referral_code" in response.json()["errors"]
