"""Customers, products and opportunities of every kind of visibility for the pipeline
tests (the ``org`` cast: two teams with every role)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kehu.orders.models import Product
from kehu.pipeline.models import Phase
from kehu.pipeline.services import LineInput, opportunity_create
from tests.factories import make_customer


@pytest.fixture
def phases(db):
    return {phase.key: phase for phase in Phase.objects.all()}


@pytest.fixture
def tea(db):
    return Product.objects.create(name="龙井", sku="TEA-1", price="100.00", unit_cost="60.00")


@pytest.fixture
def book(org):
    return {
        "own": make_customer(org.sales, name="东一"),  # east, owned by org.sales
        "other": make_customer(org.east_sales2, name="东二"),  # east, a colleague's
        "west": make_customer(org.west_sales, name="西一"),
    }


def make_opportunity(owner, customer, **kwargs):
    kwargs.setdefault("name", f"{customer.name} 项目")
    return opportunity_create(actor=owner, customer=customer, **kwargs)


@pytest.fixture
def deals(org, book, tea):
    """One open opportunity per customer, owned by the customer's owner."""
    return {
        "own": make_opportunity(org.sales, book["own"], lines=[LineInput(tea.pk, Decimal(3))]),
        "other": make_opportunity(org.east_sales2, book["other"], amount=Decimal("500")),
        "west": make_opportunity(org.west_sales, book["west"], amount=Decimal("800")),
    }
