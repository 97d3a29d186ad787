"""Redeeming exactly once: every refusal says why and changes nothing."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.utils import timezone

from kehu.coupons.models import Coupon, CouponKind
from kehu.coupons.redemption import coupon_redeem
from kehu.coupons.services import coupon_issue_hand
from kehu.orders.models import Order
from kehu.orders.refunds import refund_record
from kehu.orders.sales import sale_cancel
from tests.coupons.conftest import make_order, make_template


def _unchanged(coupon: Coupon) -> None:
    coupon.refresh_from_db()
    assert coupon.redeemed_at is None and coupon.order_id is None and coupon.discount is None


@pytest.mark.django_db
def test_redeem_sets_order_and_discount_once(org, book, products, template):
    coupon = coupon_issue_hand(actor=org.admin, template=template, customer=book["own"])
    order = make_order(org.sales, book["own"], (products["tea"], "2"))
    redeemed = coupon_redeem(actor=org.sales, code=coupon.code.lower(), order=order)
    assert redeemed.order == order and redeemed.discount == Decimal("20.00")
    assert redeemed.redeemed_by == org.sales
    order.refresh_from_db()
    assert order.total == Decimal("200.00")  # the order is as recorded
    # The same code on the same order again: as it is (an API push repeated).
    again = coupon_redeem(actor=org.sales, code=coupon.code, order=order)
    assert again.redeemed_at == redeemed.redeemed_at
    second = make_order(org.sales, book["own"], (products["tea"], "2"))
    with pytest.raises(ValidationError, match="使用过"):
        coupon_redeem(actor=org.sales, code=coupon.code, order=second)


@pytest.mark.django_db
def test_percent_off_is_rounded_to_the_cent(org, book, products):
    template = make_template(kind=CouponKind.PERCENT, value=Decimal("15"), threshold=0)
    coupon = coupon_issue_hand(actor=org.admin, template=template, customer=book["own"])
    order = make_order(org.sales, book["own"], (products["cup"], "1.3"))  # 32.50
    assert coupon_redeem(actor=org.sales, code=coupon.code, order=order).discount == Decimal("4.88")


@pytest.mark.django_db
def test_expired_coupon_is_refused(org, book, products, template):
    coupon = coupon_issue_hand(actor=org.admin, template=template, customer=book["own"])
    Coupon.objects.filter(pk=coupon.pk).update(valid_until=timezone.now() - dt.timedelta(hours=1))
    order = make_order(org.sales, book["own"], (products["tea"], "2"))
    with pytest.raises(ValidationError, match="过期"):
        coupon_redeem(actor=org.sales, code=coupon.code, order=order)
    _unchanged(coupon)


@pytest.mark.django_db
def test_not_yet_valid_coupon_is_refused(org, book, products):
    template = make_template(
        valid_days=None,
        valid_from=timezone.now() + dt.timedelta(days=1),
        valid_until=timezone.now() + dt.timedelta(days=5),
    )
    coupon = coupon_issue_hand(actor=org.admin, template=template, customer=book["own"])
    order = make_order(org.sales, book["own"], (products["tea"], "2"))
    with pytest.raises(ValidationError, match="起才能使用"):
        coupon_redeem(actor=org.sales, code=coupon.code, order=order)
    _unchanged(coupon)


@pytest.mark.django_db
def test_another_customers_coupon_is_refused(org, book, products, template):
    coupon = coupon_issue_hand(actor=org.admin, template=template, customer=book["other"])
    order = make_order(org.sales, book["own"], (products["tea"], "2"))
    with pytest.raises(ValidationError, match="没有券码"):
        coupon_redeem(actor=org.sales, code=coupon.code, order=order)
    _unchanged(coupon)


@pytest.mark.django_db
def test_below_threshold_is_refused(org, book, products, template):
    coupon = coupon_issue_hand(actor=org.admin, template=template, customer=book["own"])
    order = make_order(org.sales, book["own"], (products["cup"], "3"))  # 75 < 100
    with pytest.raises(ValidationError, match="门槛"):
        coupon_redeem(actor=org.sales, code=coupon.code, order=order)
    _unchanged(coupon)


@pytest.mark.django_db
def test_products_limit_the_base_and_refuse_orders_without_them(org, book, products):
    template = make_template(threshold=Decimal("100"), products=[products["tea"]])
    coupon = coupon_issue_hand(actor=org.admin, template=template, customer=book["own"])
    cups = make_order(org.sales, book["own"], (products["cup"], "10"))  # 250 of cups
    with pytest.raises(ValidationError, match="适用的商品"):
        coupon_redeem(actor=org.sales, code=coupon.code, order=cups)
    mixed = make_order(org.sales, book["own"], (products["cup"], "10"), (products["tea"], "0.5"))
    with pytest.raises(ValidationError, match="门槛"):  # only 50 of tea
        coupon_redeem(actor=org.sales, code=coupon.code, order=mixed)
    _unchanged(coupon)
    enough = make_order(org.sales, book["own"], (products["tea"], "1"), (products["cup"], "1"))
    assert coupon_redeem(actor=org.sales, code=coupon.code, order=enough).order == enough


@pytest.mark.django_db
def test_one_coupon_per_order_and_not_on_a_cancelled_one(org, book, products):
    template = make_template(per_customer_limit=0, threshold=0)
    first = coupon_issue_hand(actor=org.admin, template=template, customer=book["own"])
    second = coupon_issue_hand(actor=org.admin, template=template, customer=book["own"])
    order = make_order(org.sales, book["own"], (products["tea"], "1"))
    coupon_redeem(actor=org.sales, code=first.code, order=order)
    with pytest.raises(ValidationError, match="限用一张"):
        coupon_redeem(actor=org.sales, code=second.code, order=order)
    _unchanged(second)


@pytest.mark.django_db
def test_a_refund_does_not_give_the_coupon_back(org, book, products, template):
    coupon = coupon_issue_hand(actor=org.admin, template=template, customer=book["own"])
    order = make_order(org.sales, book["own"], (products["tea"], "2"))
    coupon_redeem(actor=org.sales, code=coupon.code, order=order)
    refund_record(actor=org.sales, order=order, amount=Decimal("200.00"), reason="退货")
    coupon.refresh_from_db()
    assert coupon.redeemed_at is not None and coupon.order_id == order.pk


@pytest.mark.django_db
def test_who_may_not_change_the_order_may_not_redeem(org, book, products, template):
    coupon = coupon_issue_hand(actor=org.admin, template=template, customer=book["own"])
    order = make_order(org.sales, book["own"], (products["tea"], "2"))
    for actor in (org.east_sales2, org.service, org.analyst):
        with pytest.raises(PermissionDenied):
            coupon_redeem(actor=actor, code=coupon.code, order=order)
    _unchanged(coupon)


@pytest.mark.django_db
def test_cancelled_order_is_refused(org, book, products, template):
    coupon = coupon_issue_hand(actor=org.admin, template=template, customer=book["own"])
    order = make_order(org.sales, book["own"], (products["tea"], "2"))
    Order.objects.filter(pk=order.pk).update(status="cancelled")
    order.refresh_from_db()
    with pytest.raises(ValidationError, match="作废"):
        coupon_redeem(actor=org.sales, code=coupon.code, order=order)
    _unchanged(coupon)
    assert sale_cancel  # the sale's own cancel keeps a redeemed coupon used (documented)


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_redemptions_of_one_code_one_wins(org, book, products, template):
    if connection.vendor != "postgresql":
        pytest.skip("a real race needs PostgreSQL's concurrent writers")
    coupon = coupon_issue_hand(actor=org.admin, template=template, customer=book["own"])
    orders = [make_order(org.sales, book["own"], (products["tea"], "2")) for _ in range(8)]
    barrier = threading.Barrier(len(orders))
    outcomes: list[str] = []

    def redeem(order: Order) -> None:
        try:
            barrier.wait()
            coupon_redeem(actor=org.sales, code=coupon.code, order=order)
            outcomes.append("won")
        except ValidationError:
            outcomes.append("lost")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=redeem, args=(o,)) for o in orders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["lost"] * 7 + ["won"]
    coupon.refresh_from_db()
    assert coupon.order_id in {o.pk for o in orders}
