"""Orders earn points once; refunds and cancellations reverse them; spent points
reversed become points owed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.loyalty.checks import ledger_check
from kehu.loyalty.models import EarnRule, EntryKind, Gift, Level, PointEntry
from kehu.loyalty.services import points_redeem
from kehu.orders.ingest import orders_ingest
from kehu.orders.models import Product
from kehu.orders.refunds import refund_record
from kehu.orders.services import LineData, OrderData
from tests.loyalty.conftest import WHEN, ledger_sum, member, push

pytestmark = pytest.mark.django_db


def test_a_paid_order_earns_one_point_per_yuan_and_makes_a_member(org, book):
    order = push(org.sales, book["own"], "O-1", "1234.50")
    kept = member(book["own"])
    assert kept.balance == 1234
    assert kept.spend_12m == Decimal("1234.50")
    assert kept.level == Level.objects.get(name="银卡")
    [entry] = PointEntry.objects.filter(customer=book["own"])
    assert (entry.kind, entry.order_id, entry.amount) == (EntryKind.EARN, order.pk, 1234)
    # End of the year after earning (in the business's time zone).
    expires = timezone.localtime(entry.expires_at)
    assert (expires.year - timezone.localdate().year, expires.month, expires.day) == (2, 1, 1)


def test_the_same_order_pushed_again_or_changed_does_not_earn_twice(org, book):
    push(org.sales, book["own"], "O-1", "100")
    push(org.sales, book["own"], "O-1", "100")
    push(org.sales, book["own"], "O-1", "150")  # changed
    assert member(book["own"]).balance == 100
    assert PointEntry.objects.filter(customer=book["own"]).count() == 1


def test_unpaid_and_cancelled_orders_earn_nothing_until_paid(org, book):
    push(org.sales, book["own"], "O-1", "100", payment_status="unpaid")
    push(org.sales, book["own"], "O-2", "100", status="cancelled")
    assert not PointEntry.objects.filter(customer=book["own"]).exists()
    push(org.sales, book["own"], "O-1", "100", payment_status="paid")
    assert member(book["own"]).balance == 100


def test_a_batch_earns_in_a_bounded_number_of_queries(org, book, django_assert_max_num_queries):
    items = [
        OrderData(
            source="shop",
            external_id=f"B-{i}",
            ordered_at=WHEN,
            customer_id=book["own" if i % 2 else "other"].pk,
            total=Decimal("10"),
        )
        for i in range(100)
    ]
    with django_assert_max_num_queries(30):
        orders_ingest(actor=org.admin, items=items)
    assert member(book["own"]).balance == 500
    assert member(book["other"]).balance == 500


def test_product_category_channel_and_birthday_rules(org, book):
    tea = Product.objects.create(name="龙井", sku="T", category="茶叶", price=Decimal("100"))
    cup = Product.objects.create(name="杯", sku="C", category="茶具", price=Decimal("100"))
    EarnRule.objects.create(name="茶叶双倍", kind="category", category="茶叶", multiplier=2)
    EarnRule.objects.create(name="门店 1.5 倍", kind="channel", channel="store", multiplier=1.5)
    EarnRule.objects.create(
        name="生日月 3 倍", kind="birthday", birthday_scope="month", multiplier=3
    )
    data = OrderData(
        source="shop",
        external_id="L-1",
        ordered_at=WHEN,
        customer_id=book["own"].pk,
        channel="store",
        lines=[
            LineData(quantity=Decimal(1), product_id=tea.pk),
            LineData(quantity=Decimal(1), product_id=cup.pk),
        ],
    )
    orders_ingest(actor=org.sales, items=[data])
    # (100 × 2 + 100 × 1) × 1.5 = 450; not the birthday month.
    assert member(book["own"]).balance == 450
    book["other"].birthday = dt.date(1990, 3, 20)
    book["other"].save()
    push(org.admin, book["other"], "B-1", "100")
    assert member(book["other"]).balance == 300


def test_lunar_birthday_counts_the_lunar_month(org, book):
    EarnRule.objects.create(
        name="生日当天 2 倍", kind="birthday", birthday_scope="day", multiplier=2
    )
    # Born 1990-03-20 (lunar 二月廿四); in 2026 that lunar day is 12 April.
    book["own"].birthday = dt.date(1990, 3, 20)
    book["own"].birthday_is_lunar = True
    book["own"].save()
    from kehu.care import lunar

    day = lunar.lunar_birthday(dt.date(1990, 3, 20), 2026).date
    at = dt.datetime.combine(day, dt.time(12), tzinfo=WHEN.tzinfo)
    push(org.sales, book["own"], "O-1", "100", ordered_at=at)
    push(org.sales, book["own"], "O-2", "100", ordered_at=WHEN.replace(day=20))
    assert member(book["own"]).balance == 300


def test_a_refund_reverses_its_share_and_a_full_refund_all(org, book):
    order = push(org.sales, book["own"], "O-1", "1000")
    refund_record(actor=org.sales, order=order, amount=Decimal("250"), reason="破损")
    kept = member(book["own"])
    assert (kept.balance, kept.owed, kept.spend_12m) == (750, 0, Decimal("750.00"))
    order.refresh_from_db()
    refund_record(actor=org.sales, order=order, amount=Decimal("750"), reason="退货")
    kept = member(book["own"])
    assert (kept.balance, kept.owed, kept.spend_12m) == (0, 0, Decimal("0.00"))
    reversals = PointEntry.objects.filter(order=order, kind=EntryKind.REVERSE)
    assert sorted(r.amount for r in reversals) == [-750, -250]
    assert ledger_check().differences == 0


def test_refunded_points_already_spent_become_owed_and_later_earnings_pay_them(org, book):
    gift = Gift.objects.create(name="茶杯", points_cost=800)
    order = push(org.sales, book["own"], "O-1", "1000")
    points_redeem(actor=org.sales, customer=book["own"], kind="gift", item_id=gift.pk)
    refund_record(actor=org.sales, order=order, amount=Decimal("1000"), reason="退货")
    kept = member(book["own"])
    assert (kept.balance, kept.owed) == (0, 800)  # only what the refund took back
    assert ledger_sum(book["own"]) == -800
    push(org.sales, book["own"], "O-2", "1000")
    kept = member(book["own"])
    assert (kept.balance, kept.owed) == (200, 0)
    assert ledger_check().differences == 0


def test_an_earned_order_changed_to_cancelled_gives_its_points_back(org, book):
    push(org.sales, book["own"], "O-1", "100")
    push(org.sales, book["own"], "O-1", "100", status="cancelled")
    assert member(book["own"]).balance == 0
    assert ledger_check().differences == 0
