"""The product pages (商品): admins and managers only; list, create, edit with the
version, deactivate / reactivate, categories; zh-Hans and English."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse

from kehu.orders.catalog import category_create, product_save
from kehu.orders.models import Product, ProductCategory

pytestmark = pytest.mark.django_db

PAGES = [
    ("orders:products", ()),
    ("orders:product_create", ()),
    ("orders:categories", ()),
]


def _product(actor, name="龙井", sku="TEA-1", category=None):
    return product_save(
        actor=actor,
        data={"name": name, "sku": sku, "price": Decimal("100.00"), "unit_cost": None},
        category=category,
    )


@pytest.mark.parametrize("role", ["sales", "east_sales2", "service", "analyst"])
def test_other_roles_get_403_everywhere(client, org, role):
    product = _product(org.admin)
    category = category_create(actor=org.admin, name="茶叶")
    client.force_login(getattr(org, role))
    for name, args in PAGES:
        assert client.get(reverse(name, args=args)).status_code == 403, name
    assert client.get(reverse("orders:product_edit", args=[product.pk])).status_code == 403
    posts = [
        (reverse("orders:product_create"), {"name": "新", "price": "1"}),
        (reverse("orders:product_edit", args=[product.pk]), {"name": "新", "price": "1"}),
        (reverse("orders:product_active", args=[product.pk]), {"active": "0", "version": "1"}),
        (reverse("orders:category_create"), {"name": "新", "position": "0"}),
        (reverse("orders:category_edit", args=[category.pk]), {"name": "新", "position": "0"}),
        (reverse("orders:category_delete", args=[category.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert Product.objects.get().name == "龙井" and Product.objects.get().is_active
    assert ProductCategory.objects.get().name == "茶叶"


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(reverse("orders:products"))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_admins_and_managers_create_a_product(client, org, role):
    tea = category_create(actor=org.admin, name="茶叶")
    client.force_login(getattr(org, role))
    form = client.get(reverse("orders:product_create"))
    assert form.status_code == 200 and "茶叶" in form.content.decode()
    response = client.post(
        reverse("orders:product_create"),
        {"name": "龙井", "sku": "TEA-1", "category": tea.pk, "price": "1288.50", "unit_cost": ""},
    )
    assert response.status_code == 302
    product = Product.objects.get()
    assert product.price == Decimal("1288.50") and product.unit_cost is None
    assert product.catalog_category == tea and product.category == "茶叶"
    page = client.get(reverse("orders:products")).content.decode()
    assert "龙井" in page and "¥1,288.50" in page


def test_errors_are_shown_on_the_fields(client, org):
    _product(org.admin)
    client.force_login(org.manager)
    response = client.post(
        reverse("orders:product_create"),
        {"name": "", "sku": "TEA-1", "price": "-5", "unit_cost": "abc"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "请填写名称。" in html
    assert Product.objects.count() == 1
    response = client.post(
        reverse("orders:product_create"), {"name": "另一个", "sku": "TEA-1", "price": "5"}
    )
    assert response.status_code == 422
    assert "已有相同货号的产品。" in response.content.decode()


def test_edit_with_a_stale_version_keeps_the_input(client, org):
    product = _product(org.admin)
    client.force_login(org.manager)
    url = reverse("orders:product_edit", args=[product.pk])
    data = {"name": "明前龙井", "sku": "TEA-1", "price": "150.00", "version": "1"}
    assert client.post(url, data).status_code == 302
    response = client.post(url, {**data, "name": "雨前龙井"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "该产品已被他人修改" in html and 'value="雨前龙井"' in html
    assert 'name="version" value="2"' in html
    assert Product.objects.get().name == "明前龙井"
    assert client.post(url, {**data, "name": "雨前龙井", "version": "2"}).status_code == 302
    assert Product.objects.get().name == "雨前龙井"


def test_deactivate_and_reactivate(client, org):
    product = _product(org.admin)
    client.force_login(org.manager)
    url = reverse("orders:product_active", args=[product.pk])
    assert client.post(url, {"active": "0", "version": "1"}).status_code == 302
    product.refresh_from_db()
    assert not product.is_active
    # A stale version changes nothing and says why.
    response = client.post(url, {"active": "1", "version": "1"}, follow=True)
    assert "该产品已被他人修改" in response.content.decode()
    product.refresh_from_db()
    assert not product.is_active
    client.post(url, {"active": "1", "version": "2"})
    product.refresh_from_db()
    assert product.is_active


def test_next_only_goes_back_to_the_product_pages(client, org):
    product = _product(org.admin)
    client.force_login(org.admin)
    url = reverse("orders:product_active", args=[product.pk])
    response = client.post(url, {"active": "0", "version": "1", "next": "https://evil.example/"})
    assert response["Location"] == reverse("orders:products")
    response = client.post(url, {"active": "1", "version": "2", "next": "/orders/products/?q=x"})
    assert response["Location"] == "/orders/products/?q=x"


def test_the_list_searches_filters_and_pages(client, org):
    tea = category_create(actor=org.admin, name="茶叶")
    for i in range(3):
        _product(org.admin, name=f"龙井{i}", sku=f"TEA-{i}", category=tea)
    _product(org.admin, name="茶杯", sku="CUP-1")
    client.force_login(org.admin)
    url = reverse("orders:products")
    page = client.get(url, {"q": "cup"}).content.decode()
    assert "茶杯" in page and "龙井0" not in page
    page = client.get(url, {"category": tea.pk}).content.decode()
    assert "龙井0" in page and "茶杯" not in page
    with override_settings(KEHU_PAGE_SIZE=2):
        first = client.get(url).content.decode()
        assert "1 / 2" in first
        partial = client.get(url, {"page": 2}, HTTP_HX_REQUEST="true").content.decode()
        assert "<html" not in partial and "龙井2" in partial
        assert client.get(url, {"page": 9}).status_code == 404
    page = client.get(url, {"active": "0"}).content.decode()
    assert "没有符合条件的商品。" in page
    assert client.get(url, {"category": "abc", "active": "x"}).status_code == 200


def test_empty_catalogue_says_so(client, org):
    client.force_login(org.manager)
    page = client.get(reverse("orders:products")).content.decode()
    assert "还没有商品。" in page


def test_categories_add_edit_and_delete(client, org):
    client.force_login(org.manager)
    response = client.post(reverse("orders:category_create"), {"name": "饮品", "position": "0"})
    assert response.status_code == 302
    drinks = ProductCategory.objects.get()
    response = client.post(
        reverse("orders:category_create"), {"name": "茶叶", "parent": drinks.pk, "position": "1"}
    )
    tea = ProductCategory.objects.get(name="茶叶")
    assert tea.parent == drinks
    response = client.post(
        reverse("orders:category_edit", args=[drinks.pk]),
        {"name": "饮品", "parent": tea.pk, "position": "0", "version": "1"},
    )
    assert response.status_code == 422
    assert "不能把分类放在它自己或它的下级分类之下。" in response.content.decode()
    response = client.post(reverse("orders:category_delete", args=[drinks.pk]))
    assert response.status_code == 422 and "子分类" in response.content.decode()
    assert client.post(reverse("orders:category_delete", args=[tea.pk])).status_code == 302
    assert list(ProductCategory.objects.values_list("name", flat=True)) == ["饮品"]
    response = client.post(reverse("orders:category_create"), {"name": "", "position": "0"})
    assert response.status_code == 422 and "请填写分类名称。" in response.content.decode()


def test_pages_read_in_english(client, org):
    tea = category_create(actor=org.admin, name="茶叶")
    _product(org.admin, category=tea)
    client.force_login(org.admin)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("orders:products")).content.decode()
    for english in ("Products", "New product", "Manage categories", "1 product", "Disable"):
        assert english in page, english
    for chinese in ("商品", "新建商品", "管理分类", "停用"):
        assert chinese not in page, chinese
    page = client.get(reverse("orders:categories")).content.decode()
    assert "Add category" in page and "Parent category" in page and "添加分类" not in page
    page = client.get(reverse("orders:product_create")).content.decode()
    assert "Product category" in page and "(no category)" in page


def test_the_nav_offers_products_to_admins_and_managers_only(client, org):
    url = reverse("orders:products")
    for role, offered in (("admin", True), ("manager", True), ("sales", False)):
        client.force_login(getattr(org, role))
        page = client.get(reverse("orders:list")).content.decode()
        assert (f'href="{url}"' in page) is offered, role


def test_the_list_makes_a_bounded_number_of_queries(client, org, django_assert_max_num_queries):
    tea = category_create(actor=org.admin, name="茶叶")
    for i in range(12):
        _product(org.admin, name=f"茶{i}", sku=f"T-{i}", category=tea if i % 2 else None)
    client.force_login(org.admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("orders:products"))
    assert response.status_code == 200 and "茶11" in response.content.decode()
