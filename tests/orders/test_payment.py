"""Payment status (收款状态) on orders, pushed or not, and the products' search key."""

from __future__ import annotations

import pytest

from kehu.orders.models import Order, OrderRevision, PaymentStatus, Product
from kehu.orders.services import Outcome, order_upsert
from tests.api.conftest import api_client_for
from tests.orders.conftest import line, order_data

pytestmark = pytest.mark.django_db


def test_payment_status_defaults_to_paid(org, book, products):
    order, _ = order_upsert(
        actor=org.sales, data=order_data(book["own"], lines=[line(products["tea"])])
    )
    assert order.payment_status == PaymentStatus.PAID


def test_payment_status_changes_like_any_field(org, book, products):
    first = order_data(book["own"], lines=[line(products["tea"])], payment_status="unpaid")
    order, outcome = order_upsert(actor=org.sales, data=first)
    assert (outcome, order.payment_status) == (Outcome.CREATED, PaymentStatus.UNPAID)
    assert order_upsert(actor=org.sales, data=first)[1] == Outcome.UNCHANGED
    paid = order_data(book["own"], lines=[line(products["tea"])], payment_status="paid")
    order, outcome = order_upsert(actor=org.sales, data=paid)
    assert (outcome, order.payment_status, order.version) == (Outcome.UPDATED, "paid", 2)
    revision = OrderRevision.objects.get(order=order)
    assert revision.changed_fields == ["payment_status"]
    assert revision.content["payment_status"] == "unpaid"


def test_unknown_payment_status_refused(org, book, products):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        order_upsert(actor=org.sales, data=order_data(book["own"], total="5", payment_status="x"))
    assert "payment_status" in error.value.message_dict
    assert not Order.objects.exists()


def test_api_takes_and_shows_payment_status(org, book, products):
    client = api_client_for(org.sales)
    body = {
        "source": "shop",
        "external_id": "P-1",
        "customer_id": book["own"].pk,
        "ordered_at": "2025-03-01T10:30:00+08:00",
        "total": "50.00",
        "payment_status": "partial",
    }
    response = client.post("/api/v1/orders", body)
    assert response.status_code == 201
    assert response.json()["payment_status"] == "partial"
    response = client.post("/api/v1/orders", {**body, "external_id": "P-2", "payment_status": "?"})
    assert response.status_code == 422
    del body["payment_status"]
    response = client.post("/api/v1/orders", {**body, "external_id": "P-3"})
    assert response.json()["payment_status"] == "paid"


def test_product_search_key_has_pinyin_and_sku(db):
    product = Product.objects.create(name="龙井茶", sku="TEA-9", price="1.00")
    assert {"龙井茶", "tea-9", "longjingcha", "ljc"} <= set(product.search_key.split())
    product.name = "绿茶"
    product.save(update_fields=["name"])
    product.refresh_from_db()
    assert "lvcha" in product.search_key and "longjing" not in product.search_key
