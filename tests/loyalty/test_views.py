"""The loyalty pages: the member page and its forms, the customer card, the members
list, the programme settings, the referral link; each refused role tested."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kehu.loyalty.models import EntryKind, Gift, Level, Member, PointEntry
from kehu.loyalty.services import points_adjust

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_customer_page_shows_the_member_card(org, book):
    points_adjust(actor=org.admin, customer=book["own"], points=88, reason="活动")
    page = client_for(org.sales).get(reverse("customers:detail", args=[book["own"].pk]))
    html = page.content.decode()
    assert page.status_code == 200 and 'id="loyalty"' in html
    assert "88" in html and Member.objects.get(customer=book["own"]).referral_code in html


def test_the_member_page_lists_the_ledger(org, book):
    points_adjust(actor=org.admin, customer=book["own"], points=88, reason="老客回馈")
    page = client_for(org.sales).get(reverse("loyalty:member", args=[book["own"].pk]))
    assert page.status_code == 200
    assert "老客回馈" in page.content.decode()


@pytest.mark.parametrize("role", ["west_sales", "east_sales2", "west_manager"])
def test_a_member_page_of_a_customer_not_seen_is_404(org, book, role):
    page = client_for(getattr(org, role)).get(reverse("loyalty:member", args=[book["own"].pk]))
    assert page.status_code == 404


def test_a_manager_grants_through_the_form(org, book):
    url = reverse("loyalty:points", args=[book["own"].pk])
    response = client_for(org.manager).post(
        url, {"direction": "grant", "points": "30", "reason": "补偿"}
    )
    assert response.status_code == 302
    assert Member.objects.get(customer=book["own"]).balance == 30


@pytest.mark.parametrize("role", ["sales", "service", "analyst"])
def test_roles_that_may_not_grant_are_refused_by_the_form(org, book, role):
    url = reverse("loyalty:points", args=[book["own"].pk])
    response = client_for(getattr(org, role)).post(
        url, {"direction": "grant", "points": "30", "reason": "补偿"}
    )
    assert response.status_code == 403
    assert not PointEntry.objects.exists()


def test_a_deduction_beyond_the_balance_shows_the_message(org, book):
    points_adjust(actor=org.admin, customer=book["own"], points=10, reason="活动")
    url = reverse("loyalty:points", args=[book["own"].pk])
    response = client_for(org.admin).post(
        url, {"direction": "deduct", "points": "30", "reason": "纠正"}
    )
    assert response.status_code == 422 and "积分不足" in response.content.decode()
    assert Member.objects.get(customer=book["own"]).balance == 10


def test_redeem_through_the_form_and_refused_for_the_analyst(org, book):
    gift = Gift.objects.create(name="保温杯", points_cost=50)
    points_adjust(actor=org.admin, customer=book["own"], points=60, reason="活动")
    url = reverse("loyalty:redeem", args=[book["own"].pk])
    item = {"item_id": f"gift:{gift.pk}", "quantity": 1}
    assert client_for(org.analyst).post(url, item).status_code == 403
    response = client_for(org.sales).post(url, item)
    assert response.status_code == 302
    assert PointEntry.objects.get(kind=EntryKind.REDEEM).amount == -50
    response = client_for(org.sales).post(url, item)
    assert response.status_code == 422 and "积分不足" in response.content.decode()


def test_the_form_offers_coupons_with_a_points_price_and_buys_one(org, book):
    from kehu.coupons.models import Coupon
    from tests.coupons.conftest import make_template

    coupon = make_template(name="积分换券", points_cost=30)
    points_adjust(actor=org.admin, customer=book["own"], points=40, reason="活动")
    client = client_for(org.sales)
    page = client.get(reverse("loyalty:member", args=[book["own"].pk])).content.decode()
    assert f"coupon:{coupon.pk}" in page and "积分换券" in page
    url = reverse("loyalty:redeem", args=[book["own"].pk])
    response = client.post(url, {"item_id": f"coupon:{coupon.pk}", "quantity": 1})
    assert response.status_code == 302
    assert Coupon.objects.filter(customer=book["own"], template=coupon).count() == 1
    assert Member.objects.get(customer=book["own"]).balance == 10


def test_naming_oneself_as_referrer_shows_the_message(org, book):
    points_adjust(actor=org.admin, customer=book["own"], points=1, reason="入会")
    code = Member.objects.get(customer=book["own"]).referral_code
    url = reverse("loyalty:referrer", args=[book["own"].pk])
    response = client_for(org.sales).post(url, {"code": code})
    assert response.status_code == 422 and "不能填写自己的推荐码" in response.content.decode()


def test_the_referral_link_fills_in_the_new_customer_form(org, book):
    points_adjust(actor=org.admin, customer=book["own"], points=1, reason="入会")
    code = Member.objects.get(customer=book["own"]).referral_code
    client = client_for(org.sales)
    response = client.get(reverse("loyalty:join", args=[code]), follow=True)
    assert response.status_code == 200 and f'value="{code}"' in response.content.decode()
    response = client.post(
        reverse("customers:create"), {"name": "朋友", "kind": "person", "referral_code": code}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Member.objects.filter(referred_by=book["own"]).count() == 1


def test_an_unknown_code_on_the_customer_form_is_a_field_error(org):
    response = client_for(org.sales).post(
        reverse("customers:create"), {"name": "朋友", "kind": "person", "referral_code": "NOPE"}
    )
    assert response.status_code == 422 and "推荐码 NOPE 不存在" in response.content.decode()


def test_the_members_list_is_scoped(org, book):
    points_adjust(actor=org.admin, customer=book["own"], points=5, reason="活动")
    points_adjust(actor=org.admin, customer=book["west"], points=5, reason="活动")
    html = client_for(org.sales).get(reverse("loyalty:members")).content.decode()
    assert book["own"].name in html and book["west"].name not in html


def test_an_admin_edits_a_level_and_others_are_refused(org):
    level = Level.objects.get(name="银卡")
    url = reverse("loyalty:level", args=[level.pk])
    assert client_for(org.manager).get(url).status_code == 403
    assert client_for(org.manager).get(reverse("loyalty:programme")).status_code == 403
    client = client_for(org.admin)
    assert client.get(reverse("loyalty:programme")).status_code == 200
    response = client.post(
        url,
        {
            "name": "银卡",
            "min_points": "1000",
            "min_spend": "800",
            "discount_percent": "3",
            "benefits": "98 折",
            "version": level.version,
        },
    )
    assert response.status_code == 302
    level.refresh_from_db()
    assert (level.min_spend, level.version) == (800, 2)


def test_an_admin_adds_a_gift(org):
    response = client_for(org.admin).post(
        reverse("loyalty:gift_new"), {"name": "茶叶礼盒", "points_cost": "500", "is_active": "on"}
    )
    assert response.status_code == 302
    assert Gift.objects.get().points_cost == 500


def test_the_member_page_and_card_read_in_english(org, book):
    points_adjust(actor=org.admin, customer=book["own"], points=5, reason="x")
    Gift.objects.create(name="Mug", points_cost=1)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(org.admin)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("loyalty:member", args=[book["own"].pk])).content.decode()
    for words in (
        "Points balance",
        "Grant or deduct points",
        "Redeem points for a gift",
        "Granted",
    ):
        assert words in html
    for words in ("积分余额", "赠送或扣减积分", "积分兑换礼品", "手动赠送", "推荐的客户"):
        assert words not in html
    card = client.get(reverse("customers:detail", args=[book["own"].pk])).content.decode()
    assert "Referral link" in card and "推荐链接" not in card
    settings_page = client.get(reverse("loyalty:programme")).content.decode()
    assert "Earn rules" in settings_page and "积分规则" not in settings_page
