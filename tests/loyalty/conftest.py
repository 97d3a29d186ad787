"""Customers, products and a helper to push orders through the real ingestion."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from kehu.loyalty.models import Member, PointEntry
from kehu.orders.ingest import orders_ingest
from kehu.orders.models import Order
from kehu.orders.services import OrderData
from tests.factories import make_customer

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
WHEN = dt.datetime(2026, 3, 1, 10, 30, tzinfo=SHANGHAI)


@pytest.fixture
def book(org):
    return {
        "own": make_customer(org.sales, name="东一"),
        "other": make_customer(org.east_sales2, name="东二"),
        "west": make_customer(org.west_sales, name="西一"),
    }


def push(actor, customer, external_id: str, total: str, **kwargs: Any) -> Order:
    data = OrderData(
        source="shop",
        external_id=external_id,
        ordered_at=kwargs.pop("ordered_at", WHEN),
        customer_id=customer.pk,
        total=Decimal(total),
        **kwargs,
    )
    [result] = orders_ingest(actor=actor, items=[data])
    assert result.error is None, result.error
    return Order.objects.get(pk=result.order_id)


def member(customer) -> Member:
    return Member.objects.get(customer=customer)


def ledger_sum(customer) -> int:
    return sum(PointEntry.objects.filter(customer=customer).values_list("amount", flat=True))
