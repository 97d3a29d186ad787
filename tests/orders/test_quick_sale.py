"""Quick sale at a counter: the customer by the last digits of the phone (or new), a
product, the amount; refusals per role; the lifecycle moves as for any order."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.lifecycle.models import CustomerStage
from kehu.orders.models import Channel, Order
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

QUICK = reverse("orders:quick_sale")
BUYERS = reverse("orders:sale_customers")


def login(client, user):
    client.force_login(user)
    return client


def stage_key(customer):
    row = CustomerStage.objects.filter(customer=customer).select_related("stage").first()
    return row.stage.key if row else None


def test_customer_by_the_last_digits_of_the_phone(client, org, products):
    mine = make_customer(org.sales, name="王小丫", phones=("13812345678",))
    make_customer(org.east_sales2, name="李四", phones=("13900005678",))  # visible? not writable
    pool = make_customer(None, name="公海客", phones=("13700005678",), actor=org.admin)
    login(client, org.sales)
    response = client.get(BUYERS, {"q": "5678", "for": "quick"})
    assert response.status_code == 200
    assert "王小丫" in response.text and "尾号 5678" in response.text
    assert "李四" not in response.text and pool.name not in response.text
    assert "13812345678" not in response.text
    chosen = client.get(reverse("orders:quick_customer"), {"customer": mine.pk})
    assert f'name="customer" value="{mine.pk}"' in chosen.text
    assert client.get(reverse("orders:quick_customer"), {"customer": pool.pk}).status_code == 403


def test_quick_sale_moves_the_stage(client, org, products):
    customer = make_customer(org.sales, name="王小丫", phones=("13812345678",))
    before = stage_key(customer)
    login(client, org.sales)
    assert client.get(QUICK).status_code == 200
    amount = client.get(reverse("orders:quick_product"), {"product": products["tea"].pk})
    assert 'value="100.00"' in amount.text
    response = client.post(
        QUICK,
        {
            "customer": customer.pk,
            "product": products["tea"].pk,
            "amount": "88.00",
            "payment_status": "paid",
        },
    )
    order = Order.objects.get(customer=customer)
    assert response.status_code == 302 and response["Location"].endswith(f"?done={order.pk}")
    assert (order.total, order.cost, order.channel) == (
        Decimal("88.00"),
        Decimal("60.00"),
        Channel.STORE,
    )
    assert stage_key(customer) != before
    done = client.get(response["Location"])
    assert "已记录" in done.text and "王小丫" in done.text


def test_amount_alone_and_bad_input(client, org):
    customer = make_customer(org.sales, name="王小丫")
    login(client, org.sales)
    response = client.post(
        QUICK, {"customer": customer.pk, "amount": "30", "payment_status": "unpaid"}
    )
    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.total, order.payment_status, order.lines.count()) == (
        Decimal("30.00"),
        "unpaid",
        0,
    )
    pk = customer.pk
    for bad in (
        {"amount": "30"},
        {"customer": pk, "amount": "-1"},
        {"customer": pk, "amount": "abc"},
        {"customer": pk, "amount": "1", "product": "999"},
    ):
        response = client.post(QUICK, {"payment_status": "paid", **bad})
        assert response.status_code == 422, bad
    assert Order.objects.count() == 1


def test_new_customer_in_place(client, org):
    login(client, org.sales)
    url = reverse("orders:quick_customer_new")
    response = client.post(url, {"name": "赵六", "phone": "138 0013 8000"})
    customer = Customer.objects.get(name="赵六")
    assert response.status_code == 200 and f'value="{customer.pk}"' in response.text
    assert customer.owner == org.sales
    response = client.post(url, {"name": "钱七", "phone": "12"})
    assert response.status_code == 422 and not Customer.objects.filter(name="钱七").exists()
    response = client.post(url, {"name": "", "phone": ""})
    assert response.status_code == 422


@pytest.mark.parametrize("role", ["analyst", "service"])
def test_quick_sale_refused(client, org, role):
    customer = make_customer(org.sales, name="王小丫", phones=("13812345678",))
    login(client, getattr(org, role))
    assert client.get(QUICK).status_code == 403
    assert client.post(QUICK, {"customer": customer.pk, "amount": "1"}).status_code == 403
    assert client.get(BUYERS, {"q": "5678", "for": "quick"}).status_code == 403
    assert (
        client.post(
            reverse("orders:quick_customer_new"), {"name": "a", "phone": "13800138000"}
        ).status_code
        == 403
    )
    assert not Order.objects.exists()


def test_someone_elses_customer_refused(client, org):
    west = make_customer(org.west_sales, name="西客")
    login(client, org.sales)
    response = client.post(QUICK, {"customer": west.pk, "amount": "1", "payment_status": "paid"})
    assert response.status_code == 404 and not Order.objects.exists()


def test_quick_sale_page_in_english(client, org):
    login(client, org.sales)
    client.cookies["django_language"] = "en"
    response = client.get(QUICK, HTTP_ACCEPT_LANGUAGE="en")
    assert "Quick sale" in response.text and "快速收银" not in response.text
