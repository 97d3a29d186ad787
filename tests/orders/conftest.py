"""Customers of every kind of visibility, products, and a helper for pushed orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from kehu.orders.models import Product
from kehu.orders.services import LineData, OrderData
from tests.factories import make_customer

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
WHEN = dt.datetime(2025, 3, 1, 10, 30, tzinfo=SHANGHAI)


@pytest.fixture
def book(org):
    return {
        "own": make_customer(org.sales, name="东一", source="shop", external_id="C-1"),
        "other": make_customer(org.east_sales2, name="东二", source="shop", external_id="C-2"),
        "west": make_customer(org.west_sales, name="西一", source="shop", external_id="C-3"),
        "pool": make_customer(None, name="公海一", actor=org.admin),
    }


@pytest.fixture
def products(db):
    return {
        "tea": Product.objects.create(
            name="龙井",
            sku="TEA-1",
            category="茶叶",
            price=Decimal("100.00"),
            unit_cost=Decimal("60.00"),
        ),
        "cup": Product.objects.create(
            name="茶杯", sku="CUP-1", category="茶具", price=Decimal("25.50"), unit_cost=None
        ),
    }


def line(product: Product | None = None, quantity: str = "1", **kwargs: Any) -> LineData:
    values: dict[str, Any] = {"quantity": Decimal(quantity), **kwargs}
    if product is not None:
        values["product_id"] = product.pk
    for key in ("unit_price", "discount", "unit_cost"):
        if isinstance(values.get(key), str):
            values[key] = Decimal(values[key])
    return LineData(**values)


def order_data(customer=None, external_id: str = "O-1", **kwargs: Any) -> OrderData:
    values: dict[str, Any] = {"source": "shop", "external_id": external_id, "ordered_at": WHEN}
    if customer is not None:
        values["customer_id"] = customer.pk
    for key in ("total", "cost"):
        if isinstance(kwargs.get(key), str):
            kwargs[key] = Decimal(kwargs[key])
    values.update(kwargs)
    return OrderData(**values)
