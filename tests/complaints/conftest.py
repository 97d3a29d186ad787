"""Customers of every kind of visibility for the complaint tests."""

from __future__ import annotations

import pytest

from tests.factories import make_customer


@pytest.fixture
def book(org):
    return {
        "own": make_customer(org.sales, name="东一"),  # east, owned by org.sales
        "other": make_customer(org.east_sales2, name="东二"),  # east, a colleague's
        "west": make_customer(org.west_sales, name="西一"),
        "pool": make_customer(None, name="公海一", actor=org.admin),
    }
