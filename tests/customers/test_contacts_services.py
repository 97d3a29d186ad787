"""Contacts through their services: validation, one primary, versions, history."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from kehu.core.errors import ConflictError
from kehu.customers.contacts import (
    contact_add,
    contact_delete,
    contact_make_primary,
    contact_update,
)
from kehu.customers.models import Contact, CustomerChange
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def company(org):
    return make_customer(org.sales, name="星河贸易", kind="company")


def test_phone_is_normalised_like_customer_phones(org, company):
    contact = contact_add(
        actor=org.sales,
        customer=company,
        data={"name": "王经理", "phone": "+86 138-1234-5678", "email": " Wang@Example.COM "},
    )
    assert contact.phone == "+8613812345678"
    assert contact.email == "wang@example.com"
    assert contact.version == 1


def test_bad_input_gives_clear_messages_per_field(org, company):
    with pytest.raises(ValidationError) as caught:
        contact_add(
            actor=org.sales,
            customer=company,
            data={"name": " ", "phone": "12", "email": "not-an-address"},
        )
    errors = caught.value.message_dict
    assert errors["name"] == ["请填写联系人姓名。"]
    assert "不是有效的电话号码" in errors["phone"][0]
    assert errors["email"] == ["“not-an-address”不是有效的邮箱地址。"]
    assert not Contact.objects.filter(customer=company).exists()


def test_unknown_fields_are_refused(org, company):
    with pytest.raises(ValidationError):
        contact_add(actor=org.sales, customer=company, data={"name": "甲", "customer_id": 9})


def test_one_primary_contact_at_most(org, company):
    first = contact_add(actor=org.sales, customer=company, data={"name": "甲", "is_primary": True})
    second = contact_add(actor=org.sales, customer=company, data={"name": "乙", "is_primary": True})
    first.refresh_from_db()
    assert not first.is_primary and second.is_primary
    contact_make_primary(actor=org.sales, contact=first, version=first.version)
    primaries = Contact.objects.filter(customer=company, is_primary=True)
    assert list(primaries.values_list("name", flat=True)) == ["甲"]


def test_the_database_refuses_a_second_primary(org, company):
    contact_add(actor=org.sales, customer=company, data={"name": "甲", "is_primary": True})
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(customer=company, name="乙", is_primary=True)


def test_a_stale_version_is_refused_and_nothing_is_written(org, company):
    contact = contact_add(actor=org.sales, customer=company, data={"name": "甲"})
    contact_update(actor=org.manager, contact=contact, data={"title": "总监"}, version=1)
    with pytest.raises(ConflictError) as caught:
        contact_update(actor=org.sales, contact=contact, data={"title": "经理"}, version=1)
    assert caught.value.details["current_version"] == 2
    contact.refresh_from_db()
    assert contact.title == "总监" and contact.version == 2
    with pytest.raises(ConflictError):
        contact_delete(actor=org.sales, contact=contact, version=1)
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_a_removed_contact_cannot_be_saved_over(org, company):
    contact = contact_add(actor=org.sales, customer=company, data={"name": "甲"})
    contact_delete(actor=org.sales, contact=contact, version=1)
    with pytest.raises(ConflictError) as caught:
        contact_update(actor=org.sales, contact=contact, data={"title": "经理"}, version=1)
    assert caught.value.details == {"deleted": True}


def test_changes_are_in_the_customers_history(org, company):
    contact = contact_add(
        actor=org.sales,
        customer=company,
        data={"name": "王经理", "phone": "13812345678", "is_primary": True},
    )
    contact_update(actor=org.sales, contact=contact, data={"title": "总监"}, version=1)
    other = contact_add(actor=org.sales, customer=company, data={"name": "李助理"})
    contact_make_primary(actor=org.sales, contact=other, version=other.version)
    contact_delete(actor=org.sales, contact=other)
    rows = list(
        CustomerChange.objects.filter(customer=company, field__in=("contacts", "primary_contact"))
        .order_by("id")
        .values_list("field", "old_value", "new_value", "contact_data")
    )
    assert rows == [
        ("contacts", "", "王经理 / +8613812345678", True),
        ("primary_contact", "", "王经理 / +8613812345678", True),
        ("contacts", "王经理 / +8613812345678", "王经理 / 总监 / +8613812345678", True),
        ("contacts", "", "李助理", True),
        ("primary_contact", "王经理 / 总监 / +8613812345678", "李助理", True),
        ("contacts", "李助理", "", True),
        ("primary_contact", "李助理", "", True),
    ]


@pytest.mark.parametrize(
    "role", ["east_sales2", "west_sales", "west_manager", "service", "analyst"]
)
def test_who_may_not_change_the_customer_may_not_change_its_contacts(org, company, role):
    actor = getattr(org, role)
    with pytest.raises(PermissionDenied):
        contact_add(actor=actor, customer=company, data={"name": "甲"})
    contact = contact_add(actor=org.sales, customer=company, data={"name": "乙"})
    with pytest.raises(PermissionDenied):
        contact_update(actor=actor, contact=contact, data={"name": "丙"}, version=1)
    with pytest.raises(PermissionDenied):
        contact_delete(actor=actor, contact=contact)


@pytest.mark.parametrize("role", ["sales", "manager", "admin"])
def test_owner_manager_and_admin_change_contacts(org, company, role):
    actor = getattr(org, role)
    contact = contact_add(actor=actor, customer=company, data={"name": "甲"})
    contact = contact_update(actor=actor, contact=contact, data={"name": "乙"}, version=1)
    assert contact.name == "乙" and contact.version == 2
    contact_delete(actor=actor, contact=contact, version=2)
    assert not Contact.objects.filter(customer=company).exists()


def test_creating_a_customer_keeps_one_primary_contact(org):
    from kehu.customers.services import customer_create

    customer = customer_create(
        actor=org.sales,
        data={"name": "两位主要", "kind": "company"},
        contacts=[{"name": "甲", "is_primary": True}, {"name": "乙", "is_primary": True}],
    )
    assert list(customer.contacts.filter(is_primary=True).values_list("name", flat=True)) == ["甲"]
