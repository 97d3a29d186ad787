"""Coupon pages, the customer page's card, and coupon codes at order entry."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse

from kehu.coupons.models import Coupon, CouponTemplate
from kehu.coupons.services import coupon_issue_hand
from kehu.orders.models import Order
from tests.orders.test_sales import sale_post

pytestmark = pytest.mark.django_db

LIST = reverse("coupons:list")
CREATE = reverse("coupons:create")


def test_manager_creates_edits_and_sees_the_statistics(client, org, book, products):
    client.force_login(org.manager)
    assert client.get(CREATE).status_code == 200
    response = client.post(
        CREATE,
        {
            "name": "满200减30",
            "kind": "amount",
            "value": "30",
            "threshold": "200",
            "products": [products["tea"].pk],
            "valid_days": "14",
            "per_customer_limit": "1",
            "is_active": "on",
        },
    )
    template = CouponTemplate.objects.get(name="满200减30")
    assert response.status_code == 302
    assert list(template.products.all()) == [products["tea"]]
    coupon_issue_hand(actor=org.manager, template=template, customer=book["own"])
    page = client.get(reverse("coupons:detail", args=[template.pk]))
    assert page.status_code == 200 and "满 ¥200.00 减 ¥30.00" in page.text
    assert book["own"].name in page.text
    listing = client.get(LIST)
    assert listing.status_code == 200 and "chart-coupons" in listing.text
    edit = reverse("coupons:edit", args=[template.pk])
    assert client.get(edit).status_code == 200
    stale = client.post(
        edit,
        {"name": "新名", "kind": "amount", "value": "30", "threshold": "200", "valid_days": "14",
         "per_customer_limit": "1", "version": "9"},
    )  # fmt: skip
    assert stale.status_code == 409
    template.refresh_from_db()
    assert template.name == "满200减30"


def test_missing_validity_is_said_on_the_form(client, org):
    client.force_login(org.admin)
    response = client.post(
        CREATE,
        {"name": "x", "kind": "percent", "value": "120", "threshold": "0",
         "per_customer_limit": "1"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "100%" in response.text and "有效天数" in response.text
    assert not CouponTemplate.objects.exists()


@pytest.mark.parametrize("role", ["sales", "service"])
def test_roles_refused_the_template_pages(client, org, template, role):
    client.force_login(getattr(org, role))
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("coupons:detail", args=[template.pk])).status_code == 403
    assert client.get(CREATE).status_code == 403


def test_analyst_reads_but_may_not_change_or_issue(client, org, template, book):
    client.force_login(org.analyst)
    assert client.get(LIST).status_code == 200
    assert client.get(reverse("coupons:detail", args=[template.pk])).status_code == 200
    assert client.get(reverse("coupons:edit", args=[template.pk])).status_code == 403
    url = reverse("coupons:issue_customer", args=[book["own"].pk])
    assert client.post(url, {"template": template.pk}).status_code == 403
    assert not Coupon.objects.exists()


def test_issue_from_the_customer_page(client, org, book, template):
    client.force_login(org.manager)
    page = client.get(reverse("customers:detail", args=[book["own"].pk]))
    assert 'id="coupons"' in page.text
    url = reverse("coupons:issue_customer", args=[book["own"].pk])
    response = client.post(url, {"template": template.pk})
    assert response.status_code == 302
    coupon = Coupon.objects.get(customer=book["own"])
    page = client.get(reverse("customers:detail", args=[book["own"].pk]))
    assert coupon.code in page.text and "可使用" in page.text
    # Not a customer the west manager may see: 404 as for none.
    client.force_login(org.west_manager)
    assert client.post(url, {"template": template.pk}).status_code == 404


def test_sales_issue_only_with_the_setting(client, org, book, template):
    client.force_login(org.sales)
    url = reverse("coupons:issue_customer", args=[book["own"].pk])
    assert client.post(url, {"template": template.pk}).status_code == 403
    with override_settings(KEHU_COUPONS_SALES_ISSUE=True):
        assert client.post(url, {"template": template.pk}).status_code == 302
    assert Coupon.objects.filter(customer=book["own"]).count() == 1


def test_sale_form_redeems_or_refuses_the_whole_sale(client, org, book, products, template):
    coupon = coupon_issue_hand(actor=org.admin, template=template, customer=book["own"])
    client.force_login(org.sales)
    url = f"{reverse('orders:sale_new')}?customer={book['own'].pk}"
    assert "coupon_code" in client.get(url).text
    low = client.post(
        url, sale_post(products, ("cup", "1", "25", "", "0"), coupon_code=coupon.code)
    )
    assert low.status_code == 422 and "门槛" in low.text
    assert not Order.objects.filter(customer=book["own"]).exists()
    ok = client.post(
        url, sale_post(products, ("tea", "2", "100", "", "0"), coupon_code=coupon.code)
    )
    assert ok.status_code == 302
    coupon.refresh_from_db()
    order = Order.objects.get(customer=book["own"])
    assert coupon.order == order and coupon.discount == Decimal("20.00")
    detail = client.get(reverse("orders:detail", args=[order.pk]))
    assert 'id="order-coupon"' in detail.text and coupon.code in detail.text


def test_quick_sale_takes_a_coupon(client, org, book, template):
    coupon = coupon_issue_hand(actor=org.admin, template=template, customer=book["own"])
    client.force_login(org.sales)
    quick = reverse("orders:quick_sale")
    assert "coupon_code" in client.get(quick).text
    data = {"customer": book["own"].pk, "amount": "150.00", "payment_status": "paid"}
    used = client.post(quick, {**data, "coupon_code": "nope"})
    assert used.status_code == 422 and not Order.objects.exists()
    done = client.post(quick, {**data, "coupon_code": coupon.code.lower()})
    assert done.status_code == 302
    coupon.refresh_from_db()
    assert coupon.order is not None and coupon.order.total == Decimal("150.00")
