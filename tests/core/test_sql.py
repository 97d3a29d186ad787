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


@pytest.mark.django_db
def test_many_rows_keep_every_awkward_value():
    """From ``COPY_MIN_ROWS`` rows PostgreSQL takes them by ``COPY``: tabs, newlines,
    backslashes, quotes, JSON and NULLs arrive as they were sent."""
    from kehu.core.sql import COPY_MIN_ROWS, rows_insert
    from kehu.imports.models import ImportJob, ImportRow
    from tests.factories import UserFactory

    job = ImportJob.objects.create(kind="customers", user=UserFactory(), original_name="a.csv")
    awkward = 'tab\there, line\nbreak, back\\slash \\N, "quoted", 中文'
    rows = [
        {
            "job_id": job.pk,
            "number": i,
            "outcome": "error",
            "error": awkward if i % 2 else "",
            "cells": {"名称": awkward, "n": i, "none": None} if i % 3 else None,
        }
        for i in range(COPY_MIN_ROWS + 5)
    ]
    rows_insert(ImportRow, rows)
    stored = {r.number: r for r in ImportRow.objects.filter(job=job)}
    assert len(stored) == COPY_MIN_ROWS + 5
    assert stored[1].error == awkward and stored[2].error == ""
    assert stored[1].cells == {"名称": awkward, "n": 1, "none": None}
    assert stored[3].cells is None


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite keeps no text length")
def test_many_rows_with_an_over_long_text_are_refused_whole():
    from kehu.core.sql import COPY_MIN_ROWS, rows_insert

    rows = [{"name": "茶", "sku": f"L-{i}"} for i in range(COPY_MIN_ROWS)]
    rows.append({"name": "茶" * 300, "sku": "L-long"})
    with pytest.raises(DataError), transaction.atomic():
        rows_insert(Product, rows)
    assert not Product.objects.filter(sku__startswith="L-").exists()
