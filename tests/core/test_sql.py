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


@pytest.mark.django_db(transaction=True)
def test_each_new_row_comes_back_with_its_own_id():
    """After deletions (ids not reused) and in autocommit as in a transaction."""
    Product.objects.bulk_create(Product(name=f"旧{i}", sku=f"O-{i}") for i in range(5))
    Product.objects.filter(sku__in=["O-3", "O-4"]).delete()
    for round_ in range(2):
        rows = [{"name": f"茶{i}", "sku": f"R{round_}-{i}"} for i in range(40)]
        if round_:
            with transaction.atomic():
                found = rows_insert_returning(Product, rows, ("sku", "id"))
        else:
            found = rows_insert_returning(Product, rows, ("sku", "id"))
        stored = dict(
            Product.objects.filter(sku__startswith=f"R{round_}-").values_list("sku", "pk")
        )
        assert dict(found) == stored and len(stored) == 40


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite keeps no text length")
def test_an_over_long_text_is_refused_not_cut():
    with pytest.raises(DataError), transaction.atomic():
        rows_insert_returning(Product, [{"name": "茶" * 300, "price": Decimal("1")}], ("id",))


@pytest.mark.django_db
def test_money_is_stored_and_compared_exactly():
    """Amounts go to SQLite as numbers (``sqlite_decimals_as_numbers``): the largest
    money value and a cent survive the round trip and compare as numbers."""
    from django.db.models import F

    big, cent = Decimal("999999999999.99"), Decimal("0.01")
    Product.objects.create(name="大", sku="BIG", price=big, unit_cost=big - cent)
    Product.objects.create(name="小", sku="CENT", price=cent, unit_cost=Decimal("0.00"))
    assert Product.objects.get(sku="BIG").price == big
    assert Product.objects.get(sku="CENT").price == cent
    assert Product.objects.filter(price=Decimal("999999999999.99")).count() == 1
    assert Product.objects.filter(price__gt=F("unit_cost") + Decimal("0.005")).count() == 2
    assert Product.objects.filter(price__gte=F("unit_cost") + cent).count() == 2
    assert Product.objects.filter(price__gt=F("unit_cost") + cent).count() == 0
