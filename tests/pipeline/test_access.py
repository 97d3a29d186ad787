"""``access_opportunity`` per role: the customers' rules on the opportunity's owner and
team. Not visible → 404 (like a missing id); visible but not the user's → refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from kehu.customers.services import customer_delete
from kehu.pipeline.access import access_opportunity
from kehu.pipeline.services import opportunity_delete

pytestmark = pytest.mark.django_db

ALL = ("own", "other", "west")

# role → (opportunities visible, opportunities the role may change)
RULES = {
    "admin": (ALL, ALL),
    "service": (ALL, ()),
    "analyst": (ALL, ()),
    "manager": (("own", "other"), ("own", "other")),
    "west_manager": (("west",), ("west",)),
    "sales": (("own",), ("own",)),
    "east_sales2": (("other",), ("other",)),
    "west_sales": (("west",), ("west",)),
}


@pytest.mark.parametrize("role", sorted(RULES))
def test_access_per_role(org, deals, role):
    user = getattr(org, role)
    visible, changed = RULES[role]
    for key, deal in deals.items():
        if key not in visible:
            with pytest.raises(Http404):
                access_opportunity(user, deal.pk)
            continue
        assert access_opportunity(user, deal.pk) == deal
        if key in changed:
            assert access_opportunity(user, deal.pk, write=True) == deal
        else:
            with pytest.raises(PermissionDenied):
                access_opportunity(user, deal.pk, write=True)


@pytest.mark.parametrize("raw", [0, -1, "x", None, 2**64, "1.5"])
def test_ids_that_are_not_ids_are_404(org, deals, raw):
    with pytest.raises(Http404):
        access_opportunity(org.admin, raw)


def test_missing_and_hidden_look_the_same(org, deals):
    with pytest.raises(Http404) as missing:
        access_opportunity(org.sales, 10**9)
    with pytest.raises(Http404) as hidden:
        access_opportunity(org.sales, deals["west"].pk)
    assert str(missing.value) == str(hidden.value)


def test_deleted_opportunities_and_those_of_deleted_customers_are_404(org, book, deals):
    opportunity_delete(actor=org.sales, opportunity=deals["own"], version=deals["own"].version)
    customer_delete(actor=org.admin, customer=book["west"])
    for key in ("own", "west"):
        with pytest.raises(Http404):
            access_opportunity(org.admin, deals[key].pk)


def test_an_inactive_user_sees_nothing(org, deals):
    org.admin.is_active = False
    org.admin.save()
    with pytest.raises(Http404):
        access_opportunity(org.admin, deals["own"].pk)
