"""The catalogue services: products in categories, deactivate, the category tree."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.core.errors import ConflictError
from kehu.orders.catalog import (
    CatalogFilters,
    category_create,
    category_delete,
    category_tree,
    category_update,
    product_page,
    product_save,
    product_set_active,
)
from kehu.orders.models import Product

pytestmark = pytest.mark.django_db


def _product(actor, name="龙井", sku="TEA-1", category=None, price="100.00", cost="60.00"):
    return product_save(
        actor=actor,
        data={"name": name, "sku": sku, "price": Decimal(price), "unit_cost": Decimal(cost)},
        category=category,
    )


def test_a_product_in_a_category_mirrors_its_name(org):
    tea = category_create(actor=org.manager, name="茶叶")
    product = _product(org.manager, category=tea)
    product.refresh_from_db()
    assert product.catalog_category == tea and product.category == "茶叶"
    assert product.price == Decimal("100.00") and product.unit_cost == Decimal("60.00")
    renamed = category_update(
        actor=org.admin, category=tea, version=tea.version, name="名茶", parent=None, position=0
    )
    product.refresh_from_db()
    assert renamed.version == 2 and product.category == "名茶" and product.version == 2


def test_sku_is_unique_and_money_is_checked(org):
    _product(org.admin)
    with pytest.raises(ValidationError) as caught:
        _product(org.admin, name="另一个", sku="TEA-1", price="-1")
    assert caught.value.message_dict["sku"] == ["已有相同货号的产品。"]
    assert caught.value.message_dict["price"] == ["金额不能为负数。"]
    with pytest.raises(ValidationError) as caught:
        product_save(
            actor=org.admin,
            data={"name": "", "sku": "", "price": Decimal("1.005"), "unit_cost": None},
            category=None,
        )
    assert set(caught.value.message_dict) == {"name", "price"}


def test_a_stale_version_is_refused(org):
    product = _product(org.admin)
    product_save(
        actor=org.manager,
        product=product,
        version=1,
        data={"name": "明前龙井", "sku": "TEA-1", "price": Decimal("120"), "unit_cost": None},
        category=None,
    )
    with pytest.raises(ConflictError):
        product_set_active(actor=org.admin, product=product, active=False, version=1)
    product.refresh_from_db()
    assert product.is_active and product.name == "明前龙井"
    product_set_active(actor=org.admin, product=product, active=False, version=2)
    product.refresh_from_db()
    assert not product.is_active and product.version == 3


@pytest.mark.parametrize("role", ["sales", "service", "analyst"])
def test_only_admins_and_managers_write_the_catalogue(org, role):
    actor = getattr(org, role)
    with pytest.raises(PermissionDenied):
        _product(actor)
    with pytest.raises(PermissionDenied):
        category_create(actor=actor, name="茶叶")
    assert not Product.objects.exists()


def test_the_tree_nests_and_refuses_cycles_and_duplicates(org):
    drinks = category_create(actor=org.admin, name="饮品", position=2)
    tea = category_create(actor=org.admin, name="茶叶", parent=drinks)
    green = category_create(actor=org.admin, name="绿茶", parent=tea)
    category_create(actor=org.admin, name="器具", position=1)
    assert [(r.category.name, r.depth) for r in category_tree()] == [
        ("器具", 0),
        ("饮品", 0),
        ("茶叶", 1),
        ("绿茶", 2),
    ]
    with pytest.raises(ValidationError) as caught:
        category_update(
            actor=org.admin, category=drinks, version=1, name="饮品", parent=green, position=0
        )
    assert "parent" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        category_create(actor=org.admin, name="深层", parent=green)
    assert "parent" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        category_create(actor=org.admin, name="茶叶", parent=drinks)
    assert caught.value.message_dict["name"] == ["同一上级分类下已有同名分类。"]
    with pytest.raises(ValidationError):
        category_create(actor=org.admin, name="器具")


def test_a_category_with_products_or_children_stays(org):
    drinks = category_create(actor=org.admin, name="饮品")
    tea = category_create(actor=org.admin, name="茶叶", parent=drinks)
    _product(org.admin, category=tea)
    with pytest.raises(ValidationError):
        category_delete(actor=org.admin, category=drinks)
    with pytest.raises(ValidationError):
        category_delete(actor=org.admin, category=tea)
    empty = category_create(actor=org.admin, name="空")
    category_delete(actor=org.admin, category=empty)
    assert [r.category.name for r in category_tree()] == ["饮品", "茶叶"]


def test_the_list_searches_and_filters(org):
    drinks = category_create(actor=org.admin, name="饮品")
    tea = category_create(actor=org.admin, name="茶叶", parent=drinks)
    _product(org.admin, name="龙井", sku="TEA-1", category=tea)
    cup = _product(org.admin, name="茶杯", sku="CUP-1")
    product_set_active(actor=org.admin, product=cup, active=False, version=1)
    names = lambda f: [p.name for p in product_page(f).items]  # noqa: E731
    assert names(CatalogFilters()) == ["茶杯", "龙井"]
    assert names(CatalogFilters(q="cup")) == ["茶杯"]
    assert names(CatalogFilters(q="龙")) == ["龙井"]
    assert names(CatalogFilters(category=drinks.pk)) == ["龙井"]  # with sub-categories
    assert names(CatalogFilters(active=False)) == ["茶杯"]
    page = product_page(CatalogFilters(), page=2, page_size=1)
    assert [p.name for p in page.items] == ["龙井"] and page.num_pages == 2
