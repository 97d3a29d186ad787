"""Order pages: visible orders only, filters, pages, the detail with its refund form,
and refusals per role."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from kehu.orders.models import Refund
from kehu.orders.services import order_upsert, orders_ingest, refund_record
from tests.orders.conftest import WHEN, line, order_data

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def orders(org, book, products):
    made = {
        key: order_upsert(actor=org.admin, data=order_data(customer, f"O-{key}", total="100.00"))[0]
        for key, customer in book.items()
    }
    made["lines"] = order_upsert(
        actor=org.admin,
        data=order_data(
            book["own"],
            "O-lines",
            channel="wechat",
            ordered_at=WHEN + dt.timedelta(days=10),
            lines=[line(products["tea"], "2"), line(products["cup"])],
        ),
    )[0]
    return made


def test_anonymous_is_sent_to_login(client, orders):
    for url in (reverse("orders:list"), reverse("orders:detail", args=[orders["own"].pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_list_shows_only_visible_orders(client, org, orders):
    html = login(client, org.sales).get(reverse("orders:list")).content.decode()
    assert "O-own" in html and "O-pool" in html and "O-lines" in html
    assert "O-other" not in html and "O-west" not in html
    assert "未知" in html  # the order with a cost-less line: profit unknown, not 0


def test_list_filters_by_channel_status_and_dates(client, org, orders):
    client = login(client, org.admin)
    url = reverse("orders:list")
    html = client.get(url, {"channel": "wechat"}).content.decode()
    assert "O-lines" in html and "O-own" not in html
    refund_record(actor=org.admin, order=orders["west"], amount=Decimal("1.00"), reason="x")
    html = client.get(url, {"status": "partially_refunded"}).content.decode()
    assert "O-west" in html and "O-own" not in html
    html = client.get(url, {"date_from": "2025-03-05"}).content.decode()
    assert "O-lines" in html and "O-own" not in html
    html = client.get(url, {"date_to": "2025-03-01"}).content.decode()
    assert "O-own" in html and "O-lines" not in html
    html = client.get(url, {"customer": orders["pool"].customer_id}).content.decode()
    assert "O-pool" in html and "O-own" not in html


def test_bad_filters_are_shown_not_a_crash(client, org, orders):
    response = login(client, org.admin).get(
        reverse("orders:list"), {"channel": "nope", "date_from": "yesterday", "page": "x"}
    )
    assert response.status_code == 200
    assert "O-own" in response.content.decode()


def test_htmx_gets_the_results_partial(client, org, orders):
    response = login(client, org.admin).get(
        reverse("orders:list"), {"channel": "wechat"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "O-lines" in html and '<nav class="navbar' not in html


def test_list_pages_and_a_page_past_the_end_is_404(client, org, book, settings):
    settings.KEHU_PAGE_SIZE = 10
    orders_ingest(
        actor=org.admin, items=[order_data(book["own"], f"P-{i:02d}", total="1") for i in range(25)]
    )
    client = login(client, org.admin)
    html = client.get(reverse("orders:list"), {"page": 3}).content.decode()
    assert "3 / 3" in html
    assert client.get(reverse("orders:list"), {"page": 4}).status_code == 404


def test_list_queries_are_bounded(client, org, book, django_assert_max_num_queries):
    orders_ingest(
        actor=org.admin, items=[order_data(book["own"], f"P-{i:02d}", total="1") for i in range(30)]
    )
    client = login(client, org.sales)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("orders:list")).status_code == 200


def test_detail_shows_lines_refunds_and_history(client, org, book, products, orders):
    order_upsert(
        actor=org.admin,
        data=order_data(
            book["own"],
            "O-lines",
            channel="wechat",
            ordered_at=WHEN + dt.timedelta(days=10),
            lines=[line(products["tea"], "3"), line(products["cup"])],
        ),
    )
    refund_record(
        actor=org.admin, order=orders["lines"], amount=Decimal("25.50"), reason="杯子碎了"
    )
    html = login(client, org.sales).get(reverse("orders:detail", args=[orders["lines"].pk]))
    text = html.content.decode()
    assert "龙井" in text and "茶杯" in text and "杯子碎了" in text
    assert "325.50" in text  # the new total
    assert "第 1 版被替换" in text
    assert 'name="amount"' in text  # the owner may record a refund


@pytest.mark.parametrize(
    ("role", "key"),
    [("sales", "other"), ("sales", "west"), ("manager", "west"), ("west_manager", "own")],
)
def test_invisible_orders_are_404(client, org, orders, role, key):
    client = login(client, getattr(org, role))
    pk = orders[key].pk
    assert client.get(reverse("orders:detail", args=[pk])).status_code == 404
    response = client.post(reverse("orders:refund", args=[pk]), {"amount": "1", "reason": "x"})
    assert response.status_code == 404
    assert not Refund.objects.exists()


@pytest.mark.parametrize(
    ("role", "key"), [("service", "own"), ("analyst", "own"), ("sales", "pool")]
)
def test_read_only_users_see_no_refund_form_and_may_not_post_one(client, org, orders, role, key):
    client = login(client, getattr(org, role))
    pk = orders[key].pk
    html = client.get(reverse("orders:detail", args=[pk])).content.decode()
    assert 'name="amount"' not in html
    response = client.post(reverse("orders:refund", args=[pk]), {"amount": "1", "reason": "x"})
    assert response.status_code == 403
    assert not Refund.objects.exists()


def test_refund_form_records_a_refund(client, org, orders):
    client = login(client, org.sales)
    url = reverse("orders:refund", args=[orders["own"].pk])
    response = client.post(url, {"amount": "40.00", "reason": "退货", "kind": "return"})
    assert response.status_code == 302
    refund = Refund.objects.get()
    assert (refund.amount, refund.kind, refund.created_by) == (
        Decimal("40.00"),
        "return",
        org.sales,
    )


def test_refund_form_refuses_more_than_was_paid(client, org, orders):
    client = login(client, org.sales)
    url = reverse("orders:refund", args=[orders["own"].pk])
    response = client.post(url, {"amount": "100.01", "reason": "太多", "kind": "refund"})
    assert response.status_code == 422
    assert "退款金额不能超过可退金额 ¥100.00" in response.content.decode()
    assert not Refund.objects.exists()


def test_pages_in_english(client, org, orders):
    client = login(client, org.admin)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("orders:detail", args=[orders["lines"].pk])).content.decode()
    assert "Order O-lines" in html and "Refunds and returns" in html and "Gross profit" in html
    assert "Unknown" in html and "退款" not in html
    html = client.get(reverse("orders:list")).content.decode()
    assert "All statuses" in html and "Online shop" in html
