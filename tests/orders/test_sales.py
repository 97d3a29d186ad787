"""Sales entered by hand: the sale form and its htmx parts, edit and cancel with the
version check, refusals per role; saved through order_upsert, so the lifecycle moves."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from kehu.lifecycle.models import CustomerStage
from kehu.orders.models import Order, OrderRevision, OrderStatus, PaymentStatus
from kehu.orders.sale_selectors import product_search
from kehu.orders.sales import MANUAL_SOURCE

pytestmark = pytest.mark.django_db

NEW = reverse("orders:sale_new")


def login(client, user):
    client.force_login(user)
    return client


def sale_post(products, *lines, **fields):
    data = {
        "ordered_at": "2025-03-01T10:30",
        "channel": "store",
        "payment_status": "paid",
        "line_product": [],
        "line_quantity": [],
        "line_price": [],
        "line_cost": [],
        "line_discount": [],
    }
    for key, quantity, price, cost, discount in lines:
        data["line_product"].append(str(products[key].pk))
        data["line_quantity"].append(quantity)
        data["line_price"].append(price)
        data["line_cost"].append(cost)
        data["line_discount"].append(discount)
    data.update(fields)
    return data


def stage_key(customer):
    row = CustomerStage.objects.filter(customer=customer).select_related("stage").first()
    return row.stage.key if row else None


def test_product_search_by_name_pinyin_initials_and_sku(products):
    tea = products["tea"]  # 龙井, TEA-1
    for query in ("龙井", "龙", "longjing", "long jing", "LJ", "tea-1", "TEA"):
        assert tea in product_search(query), query
    assert products["cup"] not in product_search("longjing")
    tea.is_active = False
    tea.save()
    assert tea not in product_search("龙井")


def test_search_and_line_parts(client, org, products):
    login(client, org.sales)
    response = client.get(reverse("orders:sale_products"), {"q": "lj"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "龙井" in response.text and "茶杯" not in response.text
    response = client.get(reverse("orders:sale_line"), {"product": products["tea"].pk})
    assert 'name="line_price" value="100.00"' in response.text
    assert 'name="line_cost" value="60.00"' in response.text
    assert client.get(reverse("orders:sale_line"), {"product": "x"}).status_code == 404
    assert client.get(reverse("orders:sale_line_remove")).status_code == 200


def test_record_a_sale_from_the_customer_page(client, org, book, products):
    customer = book["own"]
    before = stage_key(customer)
    login(client, org.sales)
    page = client.get(reverse("customers:detail", args=[customer.pk]))
    assert f"{NEW}?customer={customer.pk}" in page.text
    assert client.get(NEW, {"customer": customer.pk}).status_code == 200
    data = sale_post(
        products,
        ("tea", "2", "90", "55", "10"),  # price and cost changed from the catalogue's
        ("cup", "1", "25.50", "", "0"),
        payment_status="partial",
        channel="wechat",
    )
    response = client.post(f"{NEW}?customer={customer.pk}", data)
    order = Order.objects.get(customer=customer)
    assert response.status_code == 302 and response["Location"].endswith(f"/orders/{order.pk}/")
    assert order.source == MANUAL_SOURCE and order.external_id.startswith("S")
    assert (order.total, order.cost) == (Decimal("195.50"), None)  # the cup has no cost
    assert (order.channel, order.payment_status) == ("wechat", PaymentStatus.PARTIAL)
    assert [(line.unit_price, line.unit_cost) for line in order.lines.order_by("position")] == [
        (Decimal("90.00"), Decimal("55.00")),
        (Decimal("25.50"), None),
    ]
    assert order.created_by == org.sales
    # The same service as a pushed order: the lifecycle engine saw the purchase.
    assert stage_key(customer) != before


def test_bad_lines_are_said_on_their_row(client, org, book, products):
    login(client, org.sales)
    url = f"{NEW}?customer={book['own'].pk}"
    response = client.post(url, sale_post(products, ("tea", "abc", "100", "", "0")))
    assert response.status_code == 422 and "请填写有效的数字。" in response.text
    response = client.post(url, sale_post(products, ("tea", "1", "100", "", "500")))
    assert response.status_code == 422 and "折扣不能超过该行金额" in response.text
    response = client.post(url, sale_post(products, ("tea", "0", "100", "", "0")))
    assert response.status_code == 422 and "数量必须大于 0。" in response.text
    response = client.post(url, sale_post(products))
    assert response.status_code == 422 and "请至少添加一个商品。" in response.text
    assert 'value="abc"' not in response.text
    assert not Order.objects.exists()


def test_english_page(client, org, book, products):
    login(client, org.sales)
    client.cookies["django_language"] = "en"
    response = client.get(NEW, {"customer": book["own"].pk}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Record a sale" in response.text and "录入订单" not in response.text


@pytest.mark.parametrize("role", ["analyst", "service"])
def test_roles_that_may_not_record_sales(client, org, book, products, role):
    login(client, getattr(org, role))
    customer = book["own"]
    assert client.get(NEW, {"customer": customer.pk}).status_code == 403
    response = client.post(
        f"{NEW}?customer={customer.pk}", sale_post(products, ("tea", "1", "1", "", "0"))
    )
    assert response.status_code == 403
    assert client.get(reverse("orders:sale_products"), {"q": "龙"}).status_code == 403
    assert client.get(reverse("orders:quick_sale")).status_code == 403
    page = client.get(reverse("customers:detail", args=[customer.pk]))
    assert NEW not in page.text
    assert not Order.objects.exists()


def test_someone_elses_customer(client, org, book, products):
    login(client, org.sales)
    data = sale_post(products, ("tea", "1", "100", "", "0"))
    # Not visible: 404, as if it did not exist; visible but not theirs (the pool): 403.
    assert client.post(f"{NEW}?customer={book['west'].pk}", data).status_code == 404
    assert client.post(f"{NEW}?customer={book['pool'].pk}", data).status_code == 403
    assert client.get(NEW, {"customer": "x"}).status_code == 404
    assert not Order.objects.exists()


def test_edit_with_the_version_and_a_concurrent_edit_refused(client, org, book, products):
    login(client, org.sales)
    customer = book["own"]
    client.post(f"{NEW}?customer={customer.pk}", sale_post(products, ("tea", "1", "100", "", "0")))
    order = Order.objects.get()
    edit = reverse("orders:sale_edit", args=[order.pk])
    assert 'name="version" value="1"' in client.get(edit).text
    first = sale_post(products, ("tea", "3", "100", "", "0"), version="1")
    assert client.post(edit, first).status_code == 302
    order.refresh_from_db()
    assert (order.total, order.version) == (Decimal("300.00"), 2)
    assert OrderRevision.objects.get(order=order).content["total"] == "100.00"
    # A second user's form, opened at version 1, is refused and nothing is overwritten.
    stale = sale_post(products, ("tea", "5", "100", "", "0"), version="1")
    response = client.post(edit, stale)
    assert response.status_code == 409 and "该订单已被他人修改" in response.text
    order.refresh_from_db()
    assert (order.total, order.version) == (Decimal("300.00"), 2)


def test_cancel_with_the_version(client, org, book, products):
    login(client, org.sales)
    customer = book["own"]
    client.post(f"{NEW}?customer={customer.pk}", sale_post(products, ("tea", "1", "100", "", "0")))
    order = Order.objects.get()
    cancel = reverse("orders:sale_cancel", args=[order.pk])
    client.post(cancel, {"version": "9"})
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    response = client.post(cancel, {"version": "1"}, follow=True)
    assert "订单已作废。" in response.text
    order.refresh_from_db()
    assert (order.status, order.total, order.version) == (
        OrderStatus.CANCELLED,
        Decimal("100.00"),
        2,
    )


def test_edit_and_cancel_refused_to_read_only_users(client, org, book, products):
    login(client, org.sales)
    client.post(
        f"{NEW}?customer={book['own'].pk}", sale_post(products, ("tea", "1", "100", "", "0"))
    )
    order = Order.objects.get()
    login(client, org.analyst)
    assert client.get(reverse("orders:sale_edit", args=[order.pk])).status_code == 403
    assert (
        client.post(reverse("orders:sale_cancel", args=[order.pk]), {"version": 1}).status_code
        == 403
    )
    login(client, org.west_sales)
    assert client.get(reverse("orders:sale_edit", args=[order.pk])).status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
