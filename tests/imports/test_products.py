from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from kehu.imports.checking import import_check
from kehu.imports.models import ImportRow, ImportStatus
from kehu.imports.services import import_claim, import_options_set, import_read, import_upload
from kehu.imports.undo import import_undo
from kehu.orders.models import Product
from kehu.orders.services import product_create
from tests.conftest import Org
from tests.imports.helpers import run


def test_products_are_created_updated_and_undone(org: Org, write_csv) -> None:
    product_create(actor=org.admin, data={"name": "旧茶", "sku": "T-1", "price": Decimal("10")})
    path = write_csv(
        [
            ["商品名称", "货号", "类别", "单价", "成本"],
            ["龙井", "LJ-1", "茶叶", "¥398.00", "210"],
            ["旧茶新名", "T-1", "", "12.5", ""],
            ["", "", "", "1", ""],
            ["坏价", "B-1", "", "很贵", ""],
            ["龙井二", "LJ-1", "", "1", ""],
        ],
        name="products.csv",
    )
    job = import_upload(actor=org.admin, source=path, name=path.name, kind="products")
    job = import_read(job)
    assert job.mapping["货号"] == "sku" and job.mapping["单价"] == "price"
    job = import_options_set(actor=org.admin, job=job, policy="overwrite")
    import_claim(job, ("mapping",), "checking")
    job = import_check(job)
    assert (job.new_count, job.update_count, job.duplicate_count, job.error_count) == (1, 1, 1, 2)
    assert not Product.objects.filter(sku="LJ-1").exists()
    job = run(job)
    assert job.status == ImportStatus.DONE
    assert Product.objects.get(sku="LJ-1").price == Decimal("398.00")
    assert Product.objects.get(sku="T-1").price == Decimal("12.50")
    assert "单价" in ImportRow.objects.get(job=job, number=5).error
    result = import_undo(actor=org.admin, job=job)
    assert (result.removed, result.restored) == (1, 1)
    assert Product.objects.get(sku="T-1").price == Decimal("10.00")
    assert Product.objects.get(sku="LJ-1").is_active is False


def test_only_managers_and_admins_import_products(org: Org, write_csv) -> None:
    path = write_csv([["商品名称"], ["茶"]], name="p.csv")
    with pytest.raises(PermissionDenied):
        import_upload(actor=org.sales, source=path, name=path.name, kind="products")
    job = import_upload(actor=org.manager, source=path, name=path.name, kind="products")
    job = import_read(job)
    import_claim(job, ("mapping",), "checking")
    job = run(import_check(job))
    assert job.new_count == 1 and Product.objects.filter(name="茶").exists()
