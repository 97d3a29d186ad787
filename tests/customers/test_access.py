"""Who sees and changes which customer: each role that must be refused is tested."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from kehu.customers.access import access_customer
from kehu.customers.selectors import customers_visible_to
from kehu.customers.services import customer_delete
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(org):
    return {
        "east_own": make_customer(org.sales, name="东一"),
        "east_other": make_customer(org.east_sales2, name="东二"),
        "west": make_customer(org.west_sales, name="西一"),
        "pool": make_customer(None, name="公海一", actor=org.admin),
    }


def visible_names(user):
    return set(customers_visible_to(user).values_list("name", flat=True))


def test_sales_sees_own_and_pool_only(org, book):
    assert visible_names(org.sales) == {"东一", "公海一"}


def test_manager_sees_team_and_pool(org, book):
    assert visible_names(org.manager) == {"东一", "东二", "公海一"}
    assert visible_names(org.west_manager) == {"西一", "公海一"}


@pytest.mark.parametrize("role", ["admin", "service", "analyst"])
def test_all_seeing_roles(org, book, role):
    assert visible_names(getattr(org, role)) == {"东一", "东二", "西一", "公海一"}


def test_inactive_user_sees_nothing(org, book):
    org.admin.is_active = False
    assert visible_names(org.admin) == set()


@pytest.mark.parametrize(
    ("role", "key"),
    [("sales", "east_other"), ("sales", "west"), ("manager", "west"), ("west_manager", "east_own")],
)
def test_invisible_customer_is_404_like_a_missing_one(org, book, role, key):
    user = getattr(org, role)
    with pytest.raises(Http404):
        access_customer(user, book[key].pk)
    with pytest.raises(Http404):
        access_customer(user, 10_000_000)
    with pytest.raises(Http404):
        access_customer(user, "not-a-number")


@pytest.mark.parametrize(
    ("role", "key"),
    [("service", "east_own"), ("analyst", "east_own"), ("sales", "pool")],
)
def test_visible_but_read_only_is_refused_for_write(org, book, role, key):
    user = getattr(org, role)
    assert access_customer(user, book[key].pk).pk == book[key].pk
    with pytest.raises(PermissionDenied):
        access_customer(user, book[key].pk, write=True)


def test_owner_and_manager_may_write(org, book):
    assert access_customer(org.sales, book["east_own"].pk, write=True)
    assert access_customer(org.manager, book["east_other"].pk, write=True)
    assert access_customer(org.manager, book["pool"].pk, write=True)


def test_deleted_customer_is_gone_except_for_admin_restore(org, book):
    customer = book["east_own"]
    customer_delete(actor=org.sales, customer=customer)
    with pytest.raises(Http404):
        access_customer(org.sales, customer.pk)
    with pytest.raises(Http404):
        access_customer(org.admin, customer.pk)
    assert access_customer(org.admin, customer.pk, include_deleted=True).pk == customer.pk
    with pytest.raises(Http404):
        access_customer(org.manager, customer.pk, include_deleted=True)
