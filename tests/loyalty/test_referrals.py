"""Referral codes: linked on create, rewarded once on the first paid order; oneself and
circles refused with nothing changed."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from kehu.customers.models import Customer
from kehu.customers.services import customer_create
from kehu.loyalty.models import Member, PointEntry
from kehu.loyalty.referrals import referral_link
from kehu.loyalty.services import points_adjust
from tests.loyalty.conftest import push

pytestmark = pytest.mark.django_db


def _create(actor, name: str, code: str) -> Customer:
    return customer_create(
        actor=actor, data={"name": name, "kind": "person"}, referral_code=code, allow_duplicate=True
    )


def _member(org, customer) -> Member:
    points_adjust(actor=org.admin, customer=customer, points=1, reason="入会")
    return Member.objects.get(customer=customer)


@override_settings(KEHU_LOYALTY_REFERRAL_POINTS=200)
def test_a_new_customer_naming_a_code_is_linked_and_the_referrer_rewarded_once(org, book):
    referrer = _member(org, book["own"])
    new = _create(org.sales, "新客", referrer.referral_code.lower())
    assert Member.objects.get(customer=new).referred_by_id == book["own"].pk
    push(org.sales, new, "R-1", "50", payment_status="unpaid")
    assert Member.objects.get(customer=book["own"]).balance == 1  # not paid yet
    push(org.sales, new, "R-2", "50")
    push(org.sales, new, "R-3", "50")
    reward = PointEntry.objects.get(customer=book["own"], referred=new)
    assert reward.amount == 200 and reward.kind == "grant"
    assert Member.objects.get(customer=book["own"]).balance == 201


def test_an_unknown_code_refuses_the_customer_and_creates_nothing(org):
    before = Customer.objects.count()
    with pytest.raises(ValidationError) as error:
        _create(org.sales, "新客", "NOSUCH")
    assert "referral_code" in error.value.message_dict
    assert Customer.objects.count() == before


def test_a_code_of_oneself_is_refused(org, book):
    referrer = _member(org, book["own"])
    with pytest.raises(ValidationError) as error:
        referral_link(customer=book["own"], code=referrer.referral_code)
    assert "自己" in str(error.value)
    assert Member.objects.get(customer=book["own"]).referred_by_id is None


def test_a_circle_of_referrals_is_refused(org, book):
    a = _member(org, book["own"])
    b = _member(org, book["other"])
    referral_link(customer=book["other"], code=a.referral_code)  # a → b
    with pytest.raises(ValidationError) as error:
        referral_link(customer=book["own"], code=b.referral_code)  # b → a: a circle
    assert "循环" in str(error.value)
    assert Member.objects.get(customer=book["own"]).referred_by_id is None
    assert not PointEntry.objects.filter(referred__isnull=False).exists()
