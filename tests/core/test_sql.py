"""The batch writes below the ORM keep the database's own checks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DataError, connection, transaction

from kehu.core.sql import rows_insert_returning
from kehu.orders.models import Product


@pytest.mark.django_db
def test_insert_returning_gives_the_new_rows():
    rows = [{"name": f"茶{i}", "sku": f"T-{i}", "price": Decimal("9.90")} for i in range(3)]
    found = rows_insert_returning(Product, rows, ("sku", "id"))
    assert sorted(sku for sku, _id in found) == ["T-0", "T-1", "T-2"]
    assert Product.objects.get(sku="T-1").price == Decimal("9.90")


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite keeps no text length")
def test_an_over_long_text_is_refused_not_cut():
    with pytest.raises(DataError), transaction.atomic():
        rows_insert_returning(Product, [{"name": "茶" * 300, "price": Decimal("1")}], ("id",))
