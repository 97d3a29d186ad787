"""/api/v1/product-categories, and products named into a category through the API."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kehu.orders.catalog import category_create, product_save
from kehu.orders.models import Product, ProductCategory
from tests.api.conftest import api_client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/product-categories"


def test_everyone_reads_the_tree(org):
    drinks = category_create(actor=org.admin, name="饮品")
    tea = category_create(actor=org.admin, name="茶叶", parent=drinks)
    product_save(
        actor=org.admin,
        data={"name": "龙井", "sku": "T-1", "price": Decimal("1"), "unit_cost": None},
        category=tea,
    )
    body = api_client_for(org.sales).get(URL).json()
    assert [(c["name"], c["parent_id"], c["depth"], c["products"]) for c in body["items"]] == [
        ("饮品", None, 0, 0),
        ("茶叶", drinks.pk, 1, 1),
    ]


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_admins_and_managers_create_change_and_delete(org, role):
    api = api_client_for(getattr(org, role))
    response = api.post(URL, {"name": "饮品"})
    assert response.status_code == 201, response.json()
    drinks = response.json()
    response = api.post(URL, {"name": "茶叶", "parent_id": drinks["id"], "position": 2})
    tea = response.json()
    assert tea["depth"] == 1
    response = api.patch(f"{URL}/{tea['id']}", {"name": "名茶", "version": 1})
    assert response.status_code == 200 and response.json()["version"] == 2
    response = api.patch(f"{URL}/{tea['id']}", {"name": "好茶", "version": 1})
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    response = api.patch(f"{URL}/{drinks['id']}", {"parent_id": tea["id"], "version": 1})
    assert response.status_code == 422 and "parent" in response.json()["errors"]
    response = api.delete(f"{URL}/{drinks['id']}")
    assert response.status_code == 422  # it has a sub-category
    assert api.delete(f"{URL}/{tea['id']}").status_code == 204
    assert list(ProductCategory.objects.values_list("name", flat=True)) == ["饮品"]
    response = api.post(URL, {"name": "x", "parent_id": 999999})
    assert response.status_code == 422 and "parent_id" in response.json()["errors"]


@pytest.mark.parametrize("role", ["sales", "service", "analyst"])
def test_other_roles_may_not_change_categories(org, role):
    category = category_create(actor=org.admin, name="饮品")
    api = api_client_for(getattr(org, role))
    assert api.post(URL, {"name": "茶叶"}).status_code == 403
    assert api.patch(f"{URL}/{category.pk}", {"name": "x", "version": 1}).status_code == 403
    assert api.delete(f"{URL}/{category.pk}").status_code == 403
    assert list(ProductCategory.objects.values_list("name", flat=True)) == ["饮品"]


def test_unknown_ids_answer_404(org):
    api = api_client_for(org.admin)
    assert api.patch(f"{URL}/999999", {"name": "x", "version": 1}).status_code == 404
    assert api.delete(f"{URL}/999999").status_code == 404


def test_a_product_named_into_a_category_by_the_api_is_in_it(org):
    tea = category_create(actor=org.admin, name="茶叶")
    api = api_client_for(org.manager)
    response = api.post("/api/v1/products", {"name": "龙井", "price": "10.00", "category": "茶叶"})
    assert response.status_code == 201
    product = Product.objects.get()
    assert product.catalog_category == tea
    response = api.patch(f"/api/v1/products/{product.pk}", {"category": "没有的分类", "version": 1})
    assert response.status_code == 200
    product.refresh_from_db()
    assert product.catalog_category is None and product.category == "没有的分类"
