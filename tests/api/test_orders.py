"""/api/v1/orders, /api/v1/orders/batch, refunds, a customer's orders and products:
idempotency, history, bad input, access per role."""

from __future__ import annotations

import pytest

from kehu.orders.models import Order, OrderLine, OrderRevision, Product, Refund
from tests.api.conftest import api_client_for
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders"
BATCH = "/api/v1/orders/batch"
PRODUCTS = "/api/v1/products"


@pytest.fixture
def book(org):
    return {
        "own": make_customer(org.sales, name="东一", source="youzan", external_id="C-1"),
        "other": make_customer(org.east_sales2, name="东二"),
        "west": make_customer(org.west_sales, name="西一", source="youzan", external_id="C-3"),
        "pool": make_customer(None, name="公海一", actor=org.admin),
    }


@pytest.fixture
def tea(db):
    return Product.objects.create(name="龙井", sku="TEA-1", price="100.00", unit_cost="60.00")


def body(customer=None, external_id="YZ-1001", **changes):
    data = {
        "source": "youzan",
        "external_id": external_id,
        "ordered_at": "2025-03-01T10:30:00+08:00",
        "status": "paid",
        "channel": "online_shop",
        "lines": [{"sku": "TEA-1", "quantity": "2", "discount": "10.00"}],
    }
    if customer is not None:
        data["customer_id"] = customer.pk
    data.update(changes)
    return data


# --- one order ---------------------------------------------------------------------------------


def test_order_json(org, book, tea):
    response = api_client_for(org.sales).post(ORDERS, body(book["own"]))
    assert response.status_code == 201
    order = response.json()
    assert response["Location"] == f"{ORDERS}/{order['id']}"
    assert order["customer_id"] == book["own"].pk
    assert order["ordered_at"] == "2025-03-01T02:30:00Z"
    assert (order["total"], order["cost"], order["gross_profit"]) == ("190.00", "120.00", "70.00")
    assert order["status"] == "paid" and order["channel"] == "online_shop"
    assert order["currency"] == "CNY" and order["version"] == 1
    assert order["lines"] == [
        {
            "position": 0,
            "product": {"id": tea.pk, "name": "龙井", "sku": "TEA-1"},
            "quantity": "2.000",
            "unit_price": "100.00",
            "discount": "10.00",
            "unit_cost": "60.00",
            "amount": "190.00",
            "cost": "120.00",
        }
    ]
    assert order["refunds"] == [] and order["net_revenue"] == "190.00"


def test_total_only_order_has_unknown_profit(org, book):
    response = api_client_for(org.sales).post(
        ORDERS, body(book["own"], lines=[], total=88.8, channel="store")
    )
    assert response.status_code == 201
    order = response.json()
    assert (order["total"], order["cost"], order["gross_profit"]) == ("88.80", None, None)


def test_customer_by_external_id_in_the_same_source(org, book, tea):
    client = api_client_for(org.sales)
    response = client.post(ORDERS, body(customer_external_id="C-1"))
    assert response.status_code == 201 and response.json()["customer_id"] == book["own"].pk
    response = client.post(ORDERS, body(customer_external_id="C-1", source="jd"))
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_sending_the_same_order_twice_returns_the_first(org, book, tea):
    client = api_client_for(org.sales)
    first = client.post(ORDERS, body(book["own"]))
    again = client.post(ORDERS, body(book["own"]))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Order.objects.count() == 1 and OrderLine.objects.count() == 1


def test_a_changed_order_is_updated_with_history_kept(org, book, tea):
    client = api_client_for(org.sales)
    first = client.post(ORDERS, body(book["own"])).json()
    response = client.post(
        ORDERS, body(book["own"], lines=[{"sku": "TEA-1", "quantity": "5"}], status="cancelled")
    )
    assert response.status_code == 200
    changed = response.json()
    assert changed["id"] == first["id"] and changed["version"] == 2
    assert changed["total"] == "500.00" and changed["status"] == "cancelled"
    assert changed["net_revenue"] == "0.00"
    revision = OrderRevision.objects.get(order_id=first["id"])
    assert revision.content["total"] == "190.00" and revision.content["status"] == "paid"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lines": [{"sku": "TEA-1", "quantity": "-1"}]}, "lines.0.quantity"),
        ({"lines": [{"sku": "TEA-1", "quantity": -1}]}, "lines.0.quantity"),
        ({"lines": [{"sku": "NOPE", "quantity": "1"}]}, "lines.0.sku"),
        ({"lines": [{"product_id": 999999, "quantity": "1"}]}, "lines.0.product_id"),
        ({"ordered_at": "2025-02-30T10:00:00"}, "ordered_at"),
        ({"ordered_at": "yesterday"}, "ordered_at"),
        ({"ordered_at": 1700000000}, "ordered_at"),
        ({"lines": [], "total": "-5"}, "total"),
        ({"lines": [], "total": "1.234"}, "total"),
        ({"lines": []}, "total"),
        ({"status": "partially_refunded"}, "status"),
        ({"status": "lost"}, "status"),
        ({"channel": "fax"}, "channel"),
        ({"currency": "rmb"}, "currency"),
        ({"external_id": ""}, "external_id"),
        ({"surprise": 1}, "surprise"),
        ({"customer_external_id": "C-1"}, "customer_id"),
    ],
)
def test_bad_orders_are_422_with_the_field_and_change_nothing(org, book, tea, changes, field):
    response = api_client_for(org.sales).post(ORDERS, body(book["own"], **changes))
    assert response.status_code == 422, response.json()
    error = response.json()
    assert error["code"] == "invalid"
    assert field in error["errors"], error
    assert all(message for message in error["errors"][field])
    assert not Order.objects.exists()


def test_malformed_date_message_says_what_is_expected(org, book, tea):
    response = api_client_for(org.sales).post(ORDERS, body(book["own"], ordered_at="2025/03/01"))
    assert "ISO 8601" in response.json()["errors"]["ordered_at"][0]


def test_malformed_json_is_400(org, book):
    response = api_client_for(org.sales).post(ORDERS, raw="{nope")
    assert response.status_code == 400 and response.json()["code"] == "malformed_json"


@pytest.mark.parametrize(
    ("role", "key"),
    [("sales", "other"), ("sales", "west"), ("manager", "west"), ("west_manager", "own")],
)
def test_order_for_a_customer_you_cannot_see_is_404(org, book, tea, role, key):
    response = api_client_for(getattr(org, role)).post(ORDERS, body(book[key]))
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert not Order.objects.exists()


@pytest.mark.parametrize("role", ["service", "analyst"])
def test_read_only_roles_may_not_record_orders(org, book, tea, role):
    client = api_client_for(getattr(org, role))
    assert client.post(ORDERS, body(book["own"])).status_code == 403
    assert client.post(BATCH, {"orders": [body(book["own"])]}).status_code == 403
    assert not Order.objects.exists()


def test_order_for_a_pool_customer_by_sales_is_403(org, book, tea):
    response = api_client_for(org.sales).post(ORDERS, body(book["pool"]))
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_unauthenticated_is_401(db):
    from tests.api.conftest import ApiClient

    assert ApiClient().post(ORDERS, {}).status_code == 401
    assert ApiClient().get(f"{ORDERS}/1").status_code == 401


# --- reading -----------------------------------------------------------------------------------


def test_read_an_order_and_invisible_is_404(org, book, tea):
    order_id = api_client_for(org.admin).post(ORDERS, body(book["west"])).json()["id"]
    assert api_client_for(org.west_sales).get(f"{ORDERS}/{order_id}").status_code == 200
    assert api_client_for(org.analyst).get(f"{ORDERS}/{order_id}").status_code == 200
    for user in (org.sales, org.manager):
        response = api_client_for(user).get(f"{ORDERS}/{order_id}")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    for missing in (10**9, "abc", 2**64):
        assert api_client_for(org.admin).get(f"{ORDERS}/{missing}").status_code == 404


def test_customer_orders_are_paginated_newest_first(org, book, tea, django_assert_max_num_queries):
    client = api_client_for(org.sales)
    for day in range(1, 8):
        client.post(
            ORDERS,
            body(book["own"], external_id=f"D-{day}", ordered_at=f"2025-03-0{day}T10:00:00+08:00"),
        )
    url = f"/api/v1/customers/{book['own'].pk}/orders"
    with django_assert_max_num_queries(10):
        page = client.get(url, {"page_size": 3, "page": 1}).json()
    assert [o["external_id"] for o in page["items"]] == ["D-7", "D-6", "D-5"]
    assert (page["count"], page["num_pages"]) == (7, 3)
    assert all(o["lines"] for o in page["items"])
    last = client.get(url, {"page_size": 3, "page": 3}).json()
    assert [o["external_id"] for o in last["items"]] == ["D-1"]
    response = client.get(url, {"page_size": 3, "page": 4})
    assert response.status_code == 404 and response.json()["code"] == "page_out_of_range"
    filtered = client.get(url, {"status": "cancelled"}).json()
    assert filtered["count"] == 0


def test_customer_orders_of_an_invisible_customer_are_404(org, book):
    response = api_client_for(org.sales).get(f"/api/v1/customers/{book['west'].pk}/orders")
    assert response.status_code == 404


# --- batches -----------------------------------------------------------------------------------


def test_batch_with_good_and_bad_orders(org, book, tea):
    client = api_client_for(org.sales)
    response = client.post(
        BATCH,
        {
            "orders": [
                body(book["own"], "B-1"),
                body(book["own"], "B-2", lines=[{"sku": "TEA-1", "quantity": "-3"}]),
                body(book["own"], "B-3", ordered_at="not a date"),
                body(book["west"], "B-4"),
                body(book["own"], "B-5", lines=[{"sku": "NOPE", "quantity": "1"}]),
                "not an order",
                body(customer_external_id="C-1", external_id="B-7", lines=[], total="5.00"),
                body(book["pool"], "B-8"),
            ]
        },
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(8))
    assert {r["index"] for r in results if "id" in r} == {0, 6}
    assert all(r["outcome"] == "created" for r in results if "id" in r)
    codes = {r["index"]: r["error"]["code"] for r in results if "error" in r}
    assert codes == {
        1: "invalid",
        2: "invalid",
        3: "not_found",
        4: "invalid",
        5: "invalid",
        7: "forbidden",
    }
    assert "lines.0.quantity" in results[1]["error"]["errors"]
    assert "ordered_at" in results[2]["error"]["errors"]
    assert "lines.0.sku" in results[4]["error"]["errors"]
    assert all(r["error"]["message"] for r in results if "error" in r)
    assert set(Order.objects.values_list("external_id", flat=True)) == {"B-1", "B-7"}


def test_batch_sent_again_is_idempotent_and_updates_changed_ones(org, book, tea):
    client = api_client_for(org.sales)
    orders = [body(book["own"], f"R-{i}") for i in range(4)]
    first = client.post(BATCH, {"orders": orders}).json()["results"]
    orders[1] = body(book["own"], "R-1", lines=[{"sku": "TEA-1", "quantity": "9"}])
    second = client.post(BATCH, {"orders": orders}).json()["results"]
    assert [r["id"] for r in first] == [r["id"] for r in second]
    assert [r["outcome"] for r in second] == ["unchanged", "updated", "unchanged", "unchanged"]
    assert Order.objects.count() == 4 and OrderRevision.objects.count() == 1


def test_batch_limits(org, book):
    client = api_client_for(org.admin)
    response = client.post(BATCH, {"orders": [{}] * 1001})
    assert response.status_code == 422
    assert client.post(BATCH, {"orders": []}).json() == {"results": []}
    assert client.post(BATCH, {"nope": []}).status_code == 422


# --- refunds -----------------------------------------------------------------------------------


def test_refunds_and_a_refund_over_what_was_paid(org, book, tea):
    client = api_client_for(org.sales)
    order = client.post(ORDERS, body(book["own"])).json()
    url = f"{ORDERS}/{order['id']}/refunds"
    response = client.post(url, {"amount": "90.00", "reason": "少发货", "kind": "return"})
    assert response.status_code == 201
    changed = response.json()
    assert changed["status"] == "partially_refunded"
    assert changed["refunded_total"] == "90.00" and changed["net_revenue"] == "100.00"
    assert changed["refunds"][0]["kind"] == "return"
    response = client.post(url, {"amount": "100.01", "reason": "太多"})
    assert response.status_code == 422
    assert response.json()["errors"]["amount"] == [
        "退款金额不能超过可退金额 ¥100.00（订单金额 ¥190.00，已退 ¥90.00）。"
    ]
    assert Refund.objects.count() == 1
    response = client.post(url, {"amount": 100, "reason": "剩下的", "external_id": "RF-9"})
    assert response.status_code == 201 and response.json()["status"] == "refunded"
    again = client.post(url, {"amount": "100.00", "reason": "剩下的", "external_id": "RF-9"})
    assert again.status_code == 200 and Refund.objects.count() == 2


def test_a_pushed_order_resent_after_a_refund_keeps_its_refund_status(org, book, tea):
    client = api_client_for(org.sales)
    order = client.post(ORDERS, body(book["own"])).json()
    client.post(f"{ORDERS}/{order['id']}/refunds", {"amount": "10", "reason": "x"})
    again = client.post(ORDERS, body(book["own"]))
    assert again.status_code == 200 and again.json()["status"] == "partially_refunded"


@pytest.mark.parametrize(
    ("role", "status"), [("service", 403), ("analyst", 403), ("west_sales", 404)]
)
def test_refunds_refused_per_role(org, book, tea, role, status):
    order = api_client_for(org.admin).post(ORDERS, body(book["own"])).json()
    response = api_client_for(getattr(org, role)).post(
        f"{ORDERS}/{order['id']}/refunds", {"amount": "1", "reason": "x"}
    )
    assert response.status_code == status
    assert not Refund.objects.exists()


# --- products ----------------------------------------------------------------------------------


def test_products_create_list_patch(org):
    manager = api_client_for(org.manager)
    response = manager.post(
        PRODUCTS, {"name": "茶杯", "sku": "CUP-1", "category": "茶具", "price": "25.50"}
    )
    assert response.status_code == 201
    product = response.json()
    assert product["price"] == "25.50" and product["unit_cost"] is None and product["version"] == 1
    assert (
        manager.post(PRODUCTS, {"name": "又一个", "sku": "CUP-1", "price": "1"}).status_code == 422
    )
    listed = api_client_for(org.sales).get(PRODUCTS, {"q": "cup"}).json()
    assert [p["sku"] for p in listed["items"]] == ["CUP-1"]
    url = f"{PRODUCTS}/{product['id']}"
    response = manager.patch(url, {"unit_cost": "9.90", "version": 1})
    assert response.status_code == 200 and response.json()["unit_cost"] == "9.90"
    stale = manager.patch(url, {"price": "30", "version": 1})
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    assert manager.patch(f"{PRODUCTS}/999999", {"price": "1"}).status_code == 404


@pytest.mark.parametrize("role", ["sales", "service", "analyst"])
def test_products_are_read_only_for_other_roles(org, role):
    product = Product.objects.create(name="茶杯", price="1.00")
    client = api_client_for(getattr(org, role))
    assert client.get(PRODUCTS).status_code == 200
    assert client.post(PRODUCTS, {"name": "x", "price": "1"}).status_code == 403
    assert client.patch(f"{PRODUCTS}/{product.pk}", {"price": "2"}).status_code == 403
    product.refresh_from_db()
    assert str(product.price) == "1.00"


def test_errors_follow_the_request_language(org, book, tea):
    client = api_client_for(org.sales)
    bad = body(book["own"], lines=[{"sku": "TEA-1", "quantity": "-1"}])
    chinese = client.post(ORDERS, bad).json()["errors"]["lines.0.quantity"]
    english = client.post(ORDERS, bad, **{"Accept-Language": "en"}).json()
    assert chinese == ["数量必须大于 0。"]
    assert english["errors"]["lines.0.quantity"] == ["The quantity must be more than 0."]
