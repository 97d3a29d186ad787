"""/api/v1/coupons and ``coupon_code`` on POST /api/v1/orders."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from kehu.accounts.services import token_create
from kehu.coupons.models import Coupon
from kehu.coupons.services import coupon_issue_hand
from kehu.orders.models import Order
from tests.coupons.conftest import make_order


def client_for(user) -> Client:
    _token, raw = token_create(user=user, name="t")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_HOST="localhost")


def _order_body(customer, products, **extra):
    return {
        "source": "shop",
        "external_id": "API-1",
        "ordered_at": "2026-01-05T10:00:00+08:00",
        "customer_id": customer.pk,
        "lines": [{"product_id": products["tea"].pk, "quantity": "2"}],
        **extra,
    }


@pytest.mark.django_db
def test_templates_create_read_update_and_issue(org, book, products):
    api = client_for(org.manager)
    body = {"name": "九折", "kind": "percent", "value": "10", "valid_days": 7}
    created = api.post("/api/v1/coupons", body, content_type="application/json")
    assert created.status_code == 201, created.content
    template = created.json()
    assert template["value"] == "10.00" and template["stats"]["issued"] == 0
    tid = template["id"]
    patched = api.patch(
        f"/api/v1/coupons/{tid}",
        {"threshold": "50", "version": template["version"], "product_ids": [products["tea"].pk]},
        content_type="application/json",
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["product_ids"] == [products["tea"].pk]
    stale = api.patch(
        f"/api/v1/coupons/{tid}", {"name": "x", "version": 1}, content_type="application/json"
    )
    assert stale.status_code == 409
    issued = api.post(
        f"/api/v1/coupons/{tid}/issue",
        {"customer_ids": [book["own"].pk, book["other"].pk]},
        content_type="application/json",
    )
    assert issued.status_code == 201, issued.content
    assert len(issued.json()["issued"]) == 2
    hidden = api.post(
        f"/api/v1/coupons/{tid}/issue",
        {"customer_ids": [book["west"].pk]},
        content_type="application/json",
    )
    assert hidden.status_code == 422
    listed = api.get("/api/v1/coupons").json()
    assert listed[0]["stats"]["issued"] == 2


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["sales", "service", "analyst"])
def test_roles_that_may_not_manage_templates_are_refused(org, template, role):
    api = client_for(getattr(org, role))
    body = {"name": "x", "value": "5", "valid_days": 3}
    assert api.post("/api/v1/coupons", body, content_type="application/json").status_code == 403
    patch = api.patch(f"/api/v1/coupons/{template.pk}", {"name": "y"}, "application/json")
    assert patch.status_code == 403
    issue = api.post(
        f"/api/v1/coupons/{template.pk}/issue", {"customer_ids": [1]}, "application/json"
    )
    assert issue.status_code == 403
    template.refresh_from_db()
    assert template.name == "满100减20" and not Coupon.objects.exists()


@pytest.mark.django_db
def test_redeem_endpoint(org, book, products, template):
    coupon = coupon_issue_hand(actor=org.admin, template=template, customer=book["own"])
    order = make_order(org.sales, book["own"], (products["cup"], "1"))
    api = client_for(org.sales)
    low = api.post(
        "/api/v1/coupons/redeem",
        {"code": coupon.code, "order_id": order.pk},
        content_type="application/json",
    )
    assert low.status_code == 422 and "门槛" in low.json()["errors"]["code"][0]
    big = make_order(org.sales, book["own"], (products["tea"], "1"))
    ok = api.post(
        "/api/v1/coupons/redeem",
        {"code": coupon.code, "order_id": big.pk},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == "redeemed"
    assert ok.json()["discount"] == "20.00"
    # Someone who may not see the order: 404, as for no order.
    other = client_for(org.west_sales).post(
        "/api/v1/coupons/redeem",
        {"code": coupon.code, "order_id": big.pk},
        content_type="application/json",
    )
    assert other.status_code == 404


@pytest.mark.django_db
def test_order_with_a_coupon_code(org, book, products, template):
    coupon = coupon_issue_hand(actor=org.admin, template=template, customer=book["own"])
    api = client_for(org.sales)
    refused = api.post(
        "/api/v1/orders",
        _order_body(book["own"], products, coupon_code="NOPE2345"),
        content_type="application/json",
    )
    assert refused.status_code == 422 and "coupon_code" in refused.json()["errors"]
    assert not Order.objects.filter(external_id="API-1").exists()  # the order refused too
    created = api.post(
        "/api/v1/orders",
        _order_body(book["own"], products, coupon_code=coupon.code),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    coupon.refresh_from_db()
    assert coupon.order_id == created.json()["id"] and coupon.discount == Decimal("20.00")
    again = api.post(
        "/api/v1/orders",
        _order_body(book["own"], products, coupon_code=coupon.code),
        content_type="application/json",
    )
    assert again.status_code == 200  # the same push: unchanged, the coupon as it is


@pytest.mark.django_db
def test_issue_to_a_segment_through_the_api(org, book, template):
    from kehu.segments.models import Sharing
    from kehu.segments.services import members_add, segment_create

    segment = segment_create(
        actor=org.admin, data={"name": "名单", "kind": "static", "sharing": Sharing.SHARED}
    )
    members_add(actor=org.admin, segment=segment, customer_ids=[book["own"].pk])
    api = client_for(org.admin)
    url = f"/api/v1/coupons/{template.pk}/issue"
    issued = api.post(url, {"segment_id": segment.pk}, content_type="application/json")
    assert issued.status_code == 201, issued.content
    [coupon] = issued.json()["issued"]
    assert (coupon["source"], coupon["source_id"]) == ("segment", segment.pk)
    again = api.post(url, {"segment_id": segment.pk}, content_type="application/json")
    assert again.json() == {"issued": [], "over_limit": [book["own"].pk]}
    private = segment_create(actor=org.sales, data={"name": "私", "kind": "static"})
    hidden = client_for(org.manager).post(
        url, {"segment_id": private.pk}, content_type="application/json"
    )
    assert hidden.status_code == 404
