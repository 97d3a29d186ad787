"""Customers of every visibility, two products, templates and a helper for orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from kehu.coupons.models import CouponKind, CouponTemplate
from kehu.orders.models import Order, Product
from kehu.orders.services import LineData, OrderData, order_upsert
from tests.factories import make_customer


@pytest.fixture
def book(org):
    return {
        "own": make_customer(org.sales, name="东一"),
        "other": make_customer(org.east_sales2, name="东二"),
        "west": make_customer(org.west_sales, name="西一"),
        "pool": make_customer(None, name="公海一", actor=org.admin),
    }


@pytest.fixture
def products(db):
    return {
        "tea": Product.objects.create(name="龙井", sku="TEA-1", price=Decimal("100.00")),
        "cup": Product.objects.create(name="茶杯", sku="CUP-1", price=Decimal("25.00")),
    }


def make_template(**kwargs: Any) -> CouponTemplate:
    values: dict[str, Any] = {
        "name": "满100减20",
        "kind": CouponKind.AMOUNT,
        "value": Decimal("20.00"),
        "threshold": Decimal("100.00"),
        "valid_days": 30,
        "per_customer_limit": 1,
    }
    values.update(kwargs)
    products = values.pop("products", [])
    template = CouponTemplate.objects.create(**values)
    template.products.set(products)
    return template


@pytest.fixture
def template(db):
    return make_template()


_numbers = iter(range(1, 10**6))


def make_order(actor, customer, *lines: tuple[Product, str], total: str | None = None) -> Order:
    order, _outcome = order_upsert(
        actor=actor,
        data=OrderData(
            source="shop",
            external_id=f"O-{next(_numbers)}",
            ordered_at=timezone.now() - dt.timedelta(minutes=5),
            customer_id=customer.pk,
            total=Decimal(total) if total is not None else None,
            lines=[LineData(quantity=Decimal(q), product_id=p.pk) for p, q in lines],
        ),
    )
    return order
