"""Merge: field choices, everything attached moves, visibility, refusals, undo."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404

from kehu.customers.merge import (
    MergeError,
    customer_merge,
    merge_undo,
    register_relation,
    relations,
)
from kehu.customers.models import (
    Contact,
    CustomerChange,
    CustomerPhone,
    OwnerChange,
)
from kehu.customers.search import search_customer_ids
from kehu.customers.services import contact_save, customer_delete
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(org):
    survivor = make_customer(
        org.sales,
        name="杭州明远科技有限公司",
        kind="company",
        city="杭州市",
        phones=("13800000001",),
        tags=["VIP"],
    )
    other = make_customer(
        org.sales,
        name="明远科技（杭州）有限公司",
        kind="company",
        city="杭州市",
        industry="软件与信息服务",
        email="hi@mingyuan.cn",
        phones=("13800000002", "13800000001"),
        tags=["展会", "VIP"],
    )
    contact_save(actor=org.sales, customer=other, data={"name": "刘经理", "phone": "13900000003"})
    return survivor, other


def test_merge_moves_everything_and_picks_fields(org, pair):
    survivor, other = pair
    history_before = CustomerChange.objects.filter(customer=other).count()
    record = customer_merge(
        actor=org.sales, survivor_id=survivor.pk, other_id=other.pk, fields={"name": "other"}
    )
    survivor.refresh_from_db()
    assert survivor.name == "明远科技（杭州）有限公司"  # chosen
    assert survivor.industry == "软件与信息服务" and survivor.email == "hi@mingyuan.cn"  # blanks
    numbers = list(survivor.phones.values_list("number", "is_primary"))
    assert sorted(numbers) == [("+8613800000001", True), ("+8613800000002", False)]
    assert sorted(survivor.tags.values_list("name", flat=True)) == ["VIP", "展会"]
    assert Contact.objects.get(name="刘经理").customer_id == survivor.pk
    assert CustomerChange.objects.filter(customer=survivor).count() > history_before
    other.refresh_from_db()
    assert other.deleted_at is not None and other.merged_into_id == survivor.pk
    assert search_customer_ids("13800000002", Q(), limit=5) == [survivor.pk]
    assert record.merged_data["name"] == "明远科技（杭州）有限公司"


def test_undo_puts_both_back(org, pair):
    survivor, other = pair
    record = customer_merge(
        actor=org.sales,
        survivor_id=survivor.pk,
        other_id=other.pk,
        fields={"name": "other", "owner": "other"},
    )
    with pytest.raises(PermissionDenied):
        merge_undo(actor=org.sales, merge_id=record.pk)
    merge_undo(actor=org.admin, merge_id=record.pk)
    survivor.refresh_from_db()
    other.refresh_from_db()
    assert survivor.name == "杭州明远科技有限公司" and survivor.email == ""
    assert list(survivor.phones.values_list("number", flat=True)) == ["+8613800000001"]
    assert list(survivor.tags.values_list("name", flat=True)) == ["VIP"]
    assert other.deleted_at is None and other.merged_into_id is None
    assert sorted(other.phones.values_list("number", flat=True)) == [
        "+8613800000001",
        "+8613800000002",
    ]
    assert other.phones.filter(is_primary=True).count() == 1
    assert sorted(other.tags.values_list("name", flat=True)) == ["VIP", "展会"]
    assert Contact.objects.get(name="刘经理").customer_id == other.pk
    with pytest.raises(MergeError):
        merge_undo(actor=org.admin, merge_id=record.pk)


def test_owner_change_is_recorded(org):
    mine = make_customer(org.sales, name="甲")
    theirs = make_customer(org.east_sales2, name="乙")
    customer_merge(
        actor=org.manager, survivor_id=mine.pk, other_id=theirs.pk, fields={"owner": "other"}
    )
    change = OwnerChange.objects.filter(customer=mine, kind="merge").get()
    assert change.from_user == org.sales and change.to_user == org.east_sales2


def test_refusals_change_nothing(org, pair):
    survivor, other = pair
    west = make_customer(org.west_sales, name="西")
    with pytest.raises(MergeError):
        customer_merge(actor=org.sales, survivor_id=survivor.pk, other_id=survivor.pk)
    with pytest.raises(Http404):  # cannot merge into (or from) a customer you cannot see
        customer_merge(actor=org.sales, survivor_id=west.pk, other_id=other.pk)
    with pytest.raises(Http404):
        customer_merge(actor=org.sales, survivor_id=survivor.pk, other_id=west.pk)
    with pytest.raises(PermissionDenied):  # visible but read-only
        customer_merge(actor=org.analyst, survivor_id=survivor.pk, other_id=other.pk)
    with pytest.raises(ValidationError):
        customer_merge(
            actor=org.sales, survivor_id=survivor.pk, other_id=other.pk, fields={"nope": "self"}
        )
    with pytest.raises(ValidationError):
        customer_merge(
            actor=org.sales, survivor_id=survivor.pk, other_id=other.pk, fields={"name": "x"}
        )
    customer_delete(actor=org.sales, customer=other)
    with pytest.raises(Http404):  # a deleted record is gone for a merge
        customer_merge(actor=org.admin, survivor_id=survivor.pk, other_id=other.pk)
    assert CustomerPhone.objects.filter(customer=other).count() == 2
    survivor.refresh_from_db()
    assert survivor.name == "杭州明远科技有限公司" and survivor.version == 1


def test_registry_lists_the_customer_relations():
    keys = {r.key for r in relations()}
    assert {"customers.contact.customer", "customers.customerphone.customer"} <= keys
    register_relation(Contact)  # idempotent
    assert len(relations()) == len(keys)
