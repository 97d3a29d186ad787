"""Creating, changing, deleting customers: validation, history, optimistic locking."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.core.errors import ConflictError
from kehu.customers.models import Customer, CustomerChange, CustomFieldDefinition
from kehu.customers.services import (
    contact_save,
    customer_create,
    customer_delete,
    customer_restore,
    customer_update,
)
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def test_create_normalises_phones_and_records_history(org):
    customer = customer_create(
        actor=org.sales,
        data={"name": " 李雷 ", "kind": "person", "email": "lilei@example.com"},
        phones=["138 1234 5678", "+86 139-0000-1111", "13812345678"],
        tags=["VIP", "VIP", "华东"],
    )
    assert customer.name == "李雷"
    assert customer.owner == org.sales and customer.team == org.east
    assert [p.number for p in customer.phones.all()] == ["+8613812345678", "+8613900001111"]
    assert sorted(customer.tags.values_list("name", flat=True)) == ["VIP", "华东"]
    assert customer.changes.filter(action="create").count() == 1
    assert customer.name_pinyin == "li lei"


@pytest.mark.parametrize(
    ("data", "phones", "field"),
    [
        ({"name": "", "kind": "person"}, [], "name"),
        ({"name": "x" * 201, "kind": "person"}, [], "name"),
        ({"name": "王五", "kind": "robot"}, [], "kind"),
        ({"name": "王五", "kind": "person", "email": "not-an-email"}, [], "email"),
        ({"name": "王五", "kind": "person"}, ["12345"], "phones"),
        ({"name": "王五", "kind": "person", "source_channel": "moon"}, [], "source_channel"),
        ({"name": "王五", "kind": "person", "shoe_size": 42}, [], "shoe_size"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(org, data, phones, field):
    with pytest.raises(ValidationError) as info:
        customer_create(actor=org.sales, data=data, phones=phones)
    assert field in info.value.message_dict
    assert Customer.objects.count() == 0


@pytest.mark.parametrize("role", ["service", "analyst"])
def test_read_only_roles_cannot_create(org, role):
    with pytest.raises(PermissionDenied):
        customer_create(actor=getattr(org, role), data={"name": "王五", "kind": "person"})


def test_sales_cannot_give_a_customer_to_someone_else(org):
    with pytest.raises(ValidationError) as info:
        customer_create(
            actor=org.sales, data={"name": "王五", "kind": "person"}, owner=org.east_sales2
        )
    assert "owner" in info.value.message_dict


def test_manager_cannot_assign_outside_the_team(org):
    with pytest.raises(ValidationError):
        customer_create(
            actor=org.manager, data={"name": "王五", "kind": "person"}, owner=org.west_sales
        )
    customer = customer_create(
        actor=org.manager, data={"name": "王五", "kind": "person"}, owner=org.east_sales2
    )
    assert customer.owner == org.east_sales2


def test_update_records_each_changed_field(org):
    customer = make_customer(org.sales, name="韩梅梅", phones=("13812345678",))
    customer_update(
        actor=org.sales,
        customer=customer,
        version=customer.version,
        data={"city": "杭州", "name": "韩梅梅"},
        phones=["13812345678", "13900001111"],
        tags=["老客户"],
    )
    changes = {
        c.field: (c.old_value, c.new_value)
        for c in CustomerChange.objects.filter(customer=customer, action="update")
    }
    assert changes == {
        "city": ("", "杭州"),
        "phones": ("+8613812345678", "+8613812345678, +8613900001111"),
        "tags": ("", "老客户"),
    }
    customer.refresh_from_db()
    assert customer.version == 2


def test_second_concurrent_save_gets_a_conflict_and_changes_nothing(org):
    customer = make_customer(org.sales, name="韩梅梅")
    first = Customer.objects.get(pk=customer.pk)
    second = Customer.objects.get(pk=customer.pk)
    customer_update(actor=org.sales, customer=first, version=first.version, data={"city": "杭州"})
    with pytest.raises(ConflictError) as info:
        customer_update(
            actor=org.manager, customer=second, version=second.version, data={"city": "宁波"}
        )
    assert info.value.details["current_version"] == 2
    customer.refresh_from_db()
    assert customer.city == "杭州"
    assert not CustomerChange.objects.filter(new_value="宁波").exists()


def test_reassigning_needs_a_manager(org):
    customer = make_customer(org.sales)
    with pytest.raises(ValidationError):
        customer_update(
            actor=org.sales, customer=customer, version=customer.version, owner=org.east_sales2
        )
    customer_update(
        actor=org.manager, customer=customer, version=customer.version, owner=org.east_sales2
    )
    customer.refresh_from_db()
    assert customer.owner == org.east_sales2
    assert customer.changes.filter(field="owner", new_value="east_sales2").exists()


def test_custom_fields_are_validated_against_definitions(org):
    CustomFieldDefinition.objects.create(
        key="level", label="等级", kind="choice", choices=["A", "B"]
    )
    CustomFieldDefinition.objects.create(key="budget", label="预算", kind="number")
    CustomFieldDefinition.objects.create(key="signed", label="签约日", kind="date")
    customer = customer_create(
        actor=org.sales,
        data={"name": "甲公司", "kind": "company"},
        custom_fields={"level": "A", "budget": "12000.50", "signed": "2026-01-31"},
    )
    assert customer.custom_fields == {"level": "A", "budget": "12000.5", "signed": "2026-01-31"}
    with pytest.raises(ValidationError) as info:
        customer_update(
            actor=org.sales,
            customer=customer,
            version=customer.version,
            custom_fields={"level": "Z", "budget": "lots", "signed": "31/01/2026", "x": 1},
        )
    assert set(info.value.message_dict) == {
        "custom_level",
        "custom_budget",
        "custom_signed",
        "custom_x",
    }


def test_soft_delete_and_admin_restore(org):
    customer = make_customer(org.sales)
    customer_delete(actor=org.sales, customer=customer)
    assert Customer.objects.alive().count() == 0
    with pytest.raises(PermissionDenied):
        customer_restore(actor=org.manager, customer=customer)
    customer_restore(actor=org.admin, customer=customer)
    assert Customer.objects.alive().count() == 1
    assert list(customer.changes.values_list("action", flat=True)) == [
        "restore",
        "delete",
        "create",
    ]


def test_contacts_are_validated_and_audited(org):
    company = make_customer(org.sales, name="星辰科技", kind="company")
    with pytest.raises(ValidationError):
        contact_save(actor=org.sales, customer=company, data={"name": "王经理", "phone": "abc"})
    contact = contact_save(
        actor=org.sales, customer=company, data={"name": "王经理", "phone": "13812345678"}
    )
    assert contact.phone == "+8613812345678"
    assert company.changes.filter(field="contacts").count() == 1
