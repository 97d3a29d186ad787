"""Grants, deductions and redemptions: who may, and refusals that change nothing."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.test import override_settings

from kehu.loyalty.checks import ledger_check
from kehu.loyalty.models import EntryKind, Gift, Member, PointEntry
from kehu.loyalty.services import points_adjust, points_redeem
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def _grant(actor, customer, points=100, reason="活动赠送"):
    return points_adjust(actor=actor, customer=customer, points=points, reason=reason)


def test_a_grant_with_a_reason_makes_a_member_and_a_traceable_entry(org, book):
    entry = _grant(org.manager, book["own"], 300, "老客户回馈")
    assert (entry.kind, entry.reason, entry.created_by) == (
        EntryKind.GRANT,
        "老客户回馈",
        org.manager,
    )
    assert Member.objects.get(customer=book["own"]).balance == 300


@pytest.mark.parametrize("role", ["sales", "service", "analyst", "west_manager"])
def test_roles_that_may_not_grant_are_refused(org, book, role):
    with pytest.raises(PermissionDenied):
        _grant(getattr(org, role), book["own"])
    assert not PointEntry.objects.exists()


def test_sales_may_grant_on_their_own_customers_when_the_setting_allows(org, book):
    with override_settings(KEHU_LOYALTY_SALES_MAY_GRANT=True):
        _grant(org.sales, book["own"])
        with pytest.raises(PermissionDenied):
            _grant(org.sales, book["other"])
    assert Member.objects.get(customer=book["own"]).balance == 100


def test_a_grant_needs_a_reason_and_a_nonzero_amount(org, book):
    with pytest.raises(ValidationError) as error:
        _grant(org.admin, book["own"], 100, "  ")
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError):
        _grant(org.admin, book["own"], 0)
    assert not PointEntry.objects.exists()


def test_a_deduction_beyond_the_balance_is_refused_and_changes_nothing(org, book):
    _grant(org.admin, book["own"], 100)
    with pytest.raises(ValidationError) as error:
        _grant(org.admin, book["own"], -101, "纠正")
    assert "积分不足" in str(error.value)
    assert Member.objects.get(customer=book["own"]).balance == 100
    _grant(org.admin, book["own"], -40, "纠正")
    assert Member.objects.get(customer=book["own"]).balance == 60
    assert ledger_check().differences == 0


def test_redeeming_a_gift_takes_points_and_stock(org, book):
    gift = Gift.objects.create(name="茶杯", points_cost=30, stock=2)
    _grant(org.admin, book["own"], 100)
    entry = points_redeem(
        actor=org.sales, customer=book["own"], kind="gift", item_id=gift.pk, quantity=2
    )
    assert (entry.amount, entry.redeemed_kind, entry.redeemed_ref) == (-60, "gift", str(gift.pk))
    gift.refresh_from_db()
    assert gift.stock == 0
    with pytest.raises(ValidationError) as error:
        points_redeem(actor=org.sales, customer=book["own"], kind="gift", item_id=gift.pk)
    assert "库存不足" in str(error.value)
    assert Member.objects.get(customer=book["own"]).balance == 40
    assert ledger_check().differences == 0


def test_redeeming_more_than_the_balance_is_refused_and_changes_nothing(org, book):
    gift = Gift.objects.create(name="茶壶", points_cost=500, stock=5)
    _grant(org.admin, book["own"], 100)
    with pytest.raises(ValidationError) as error:
        points_redeem(actor=org.sales, customer=book["own"], kind="gift", item_id=gift.pk)
    assert "积分不足" in str(error.value)
    gift.refresh_from_db()
    assert gift.stock == 5
    assert Member.objects.get(customer=book["own"]).balance == 100
    assert PointEntry.objects.count() == 1


@pytest.mark.parametrize("role", ["analyst", "west_sales", "east_sales2"])
def test_roles_that_may_not_redeem_for_the_customer_are_refused(org, book, role):
    gift = Gift.objects.create(name="茶杯", points_cost=10)
    _grant(org.admin, book["own"], 100)
    with pytest.raises(PermissionDenied):
        points_redeem(actor=getattr(org, role), customer=book["own"], kind="gift", item_id=gift.pk)


def test_an_unknown_kind_or_gift_is_refused(org, book):
    _grant(org.admin, book["own"], 100)
    with pytest.raises(ValidationError):
        points_redeem(actor=org.admin, customer=book["own"], kind="spaceship", item_id=1)
    with pytest.raises(ValidationError):
        points_redeem(actor=org.admin, customer=book["own"], kind="gift", item_id=999)


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_redemptions_of_the_last_100_points_one_succeeds(org):
    if connection.vendor != "postgresql":
        pytest.skip("a real race needs PostgreSQL's concurrent writers")
    customer = make_customer(org.sales, name="抢兑客户")
    gift = Gift.objects.create(name="礼盒", points_cost=100)
    _grant(org.admin, customer, 100)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def redeem():
        try:
            barrier.wait()
            points_redeem(actor=org.sales, customer=customer, kind="gift", item_id=gift.pk)
            outcomes.append("won")
        except ValidationError:
            outcomes.append("lost")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=redeem) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["lost"] * 7 + ["won"]
    assert Member.objects.get(customer=customer).balance == 0
    assert PointEntry.objects.filter(customer=customer, kind=EntryKind.REDEEM).count() == 1
    assert ledger_check().differences == 0


def test_points_buy_a_coupon_and_a_refusal_keeps_the_points(org, book):
    from kehu.coupons.models import Coupon, CouponSource
    from kehu.loyalty.redeemables import redeemable
    from tests.coupons.conftest import make_template

    template = make_template(points_cost=50, per_customer_limit=1)
    make_template(name="不可兑换")  # no points price: not offered
    assert [(pk, cost) for pk, _name, cost in redeemable("coupon").choices()] == [(template.pk, 50)]
    _grant(org.admin, book["own"], 120)
    entry = points_redeem(actor=org.sales, customer=book["own"], kind="coupon", item_id=template.pk)
    coupon = Coupon.objects.get(customer=book["own"])
    assert (entry.amount, entry.redeemed_kind, entry.redeemed_ref) == (-50, "coupon", coupon.code)
    assert coupon.source == CouponSource.POINTS
    with pytest.raises(ValidationError) as error:  # over the template's limit of one
        points_redeem(actor=org.sales, customer=book["own"], kind="coupon", item_id=template.pk)
    assert "领取上限" in str(error.value)
    assert Member.objects.get(customer=book["own"]).balance == 70
    assert Coupon.objects.count() == 1
    assert ledger_check().differences == 0
