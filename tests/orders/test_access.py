"""Who sees and records which order: an order follows its customer. Each role that
must be refused is tested."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from kehu.core.errors import NotAllowedError
from kehu.orders.access import access_order
from kehu.orders.models import Order, Product
from kehu.orders.selectors import orders_visible_to
from kehu.orders.services import (
    OrderNotFound,
    order_upsert,
    orders_ingest,
    product_create,
    product_update,
    refund_record,
)
from tests.orders.conftest import order_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(org, book):
    """One order per customer, recorded by an admin."""
    return {
        key: order_upsert(actor=org.admin, data=order_data(customer, f"O-{key}", total="100.00"))[0]
        for key, customer in book.items()
    }


def visible(user) -> set[str]:
    return set(orders_visible_to(user).values_list("external_id", flat=True))


def test_sales_see_orders_of_own_and_pool_customers(org, orders):
    assert visible(org.sales) == {"O-own", "O-pool"}


def test_managers_see_their_teams_and_the_pools_orders(org, orders):
    assert visible(org.manager) == {"O-own", "O-other", "O-pool"}
    assert visible(org.west_manager) == {"O-west", "O-pool"}


@pytest.mark.parametrize("role", ["admin", "service", "analyst"])
def test_all_seeing_roles_see_every_order(org, orders, role):
    assert visible(getattr(org, role)) == {"O-own", "O-other", "O-west", "O-pool"}


def test_orders_of_deleted_customers_are_hidden(org, book, orders):
    from kehu.customers.services import customer_delete

    customer_delete(actor=org.admin, customer=book["own"])
    assert "O-own" not in visible(org.admin)
    with pytest.raises(Http404):
        access_order(org.admin, orders["own"].pk)


@pytest.mark.parametrize(
    ("role", "key"),
    [("sales", "other"), ("sales", "west"), ("manager", "west"), ("west_manager", "own")],
)
def test_invisible_order_is_404_like_a_missing_one(org, orders, role, key):
    user = getattr(org, role)
    for order_id in (orders[key].pk, 10_000_000, "x", -1, 2**70):
        with pytest.raises(Http404):
            access_order(user, order_id)


@pytest.mark.parametrize(
    ("role", "key"), [("service", "own"), ("analyst", "own"), ("sales", "pool")]
)
def test_visible_but_read_only_orders_refuse_writes(org, orders, role, key):
    user = getattr(org, role)
    assert access_order(user, orders[key].pk).pk == orders[key].pk
    with pytest.raises(PermissionDenied):
        access_order(user, orders[key].pk, write=True)
    with pytest.raises(PermissionDenied):
        refund_record(actor=user, order=orders[key], amount=Decimal("1.00"), reason="x")
    assert orders[key].refunds.count() == 0


@pytest.mark.parametrize("role", ["service", "analyst"])
def test_read_only_roles_record_no_orders(org, book, role):
    user = getattr(org, role)
    with pytest.raises(PermissionDenied):
        order_upsert(actor=user, data=order_data(book["own"], total="1.00"))
    with pytest.raises(PermissionDenied):
        orders_ingest(actor=user, items=[order_data(book["own"], total="1.00")])
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("role", "key"), [("sales", "other"), ("sales", "west"), ("manager", "west")]
)
def test_no_order_for_a_customer_you_cannot_see(org, book, role, key):
    with pytest.raises(OrderNotFound):
        order_upsert(actor=getattr(org, role), data=order_data(book[key], total="1.00"))
    assert not Order.objects.exists()


def test_no_order_for_a_visible_customer_you_may_not_change(org, book):
    with pytest.raises(NotAllowedError):
        order_upsert(actor=org.sales, data=order_data(book["pool"], total="1.00"))
    assert not Order.objects.exists()


def test_managers_record_orders_for_their_team_and_the_pool(org, book):
    for key in ("own", "other", "pool"):
        order_upsert(actor=org.manager, data=order_data(book[key], f"M-{key}", total="1.00"))
    assert Order.objects.count() == 3


def test_someone_elses_order_cannot_be_overwritten_by_pushing_its_key(org, book, orders):
    # The west salesperson pushes an order under the key of an east customer's order.
    with pytest.raises(NotAllowedError):
        order_upsert(actor=org.west_sales, data=order_data(book["west"], "O-own", total="1.00"))
    orders["own"].refresh_from_db()
    assert orders["own"].customer_id == book["own"].pk and orders["own"].version == 1


def test_products_are_managed_by_admins_and_managers(org):
    for user in (org.admin, org.manager):
        product_create(actor=user, data={"name": f"产品{user.pk}", "price": Decimal("1.00")})
    product = Product.objects.first()
    assert product is not None
    for user in (org.sales, org.service, org.analyst):
        with pytest.raises(PermissionDenied):
            product_create(actor=user, data={"name": "不行", "price": Decimal("1.00")})
        with pytest.raises(PermissionDenied):
            product_update(actor=user, product=product, data={"price": Decimal("2.00")})
    assert Product.objects.count() == 2
