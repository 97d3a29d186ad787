"""One date type for every form (core/dates.py): a year 9999, a year 1899 or a Unix
timestamp is refused with 422 and a message naming the allowed range; a birthday is
1900-01-01 to today. Filters refuse the bad date too (shown, not applied)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kehu.core.dates import (
    BirthdayField,
    BusinessDateField,
    BusinessDateTimeField,
    birthday_usable,
    business_date_ok,
)
from kehu.customers.models import Customer
from kehu.followups.models import Task
from kehu.interactions.models import Interaction
from kehu.orders.models import Refund
from kehu.orders.services import OrderData, order_upsert
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

BAD_MOMENTS = ["9999-12-31T10:00", "1899-12-31T10:00", "1700000000", "0001-01-01T00:00"]
BAD_DAYS = ["9999-12-31", "1899-12-31", "1700000000", "0001-01-01"]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_ranges():
    assert business_date_ok(dt.date(1900, 1, 1)) and business_date_ok(dt.date(2100, 12, 31))
    assert not business_date_ok(dt.date(1899, 12, 31))
    assert not business_date_ok(dt.datetime(2101, 1, 1, tzinfo=dt.UTC))
    today = dt.date(2026, 5, 1)
    assert birthday_usable(dt.date(1900, 1, 1), today) and birthday_usable(today, today)
    assert not birthday_usable(dt.date(2026, 5, 2), today)
    assert not birthday_usable(dt.date(1, 1, 1), today)
    assert not birthday_usable(None, today)


@pytest.mark.parametrize("raw", BAD_DAYS)
def test_date_fields_refuse(raw):
    for field in (BusinessDateField(), BirthdayField()):
        with pytest.raises(Exception) as error:
            field.clean(raw)
        assert error.typename == "ValidationError"
    assert BusinessDateField().clean("2100-12-31") == dt.date(2100, 12, 31)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert BusinessDateField().clean(tomorrow.isoformat()) == tomorrow
    with pytest.raises(Exception, match="1900-01-01"):
        BirthdayField().clean(tomorrow.isoformat())


@pytest.mark.parametrize("raw", BAD_MOMENTS)
def test_the_datetime_field_refuses(raw):
    with pytest.raises(Exception) as error:
        BusinessDateTimeField().clean(raw)
    assert error.typename == "ValidationError"
    widget = BusinessDateTimeField().widget
    assert widget.attrs["min"].startswith("1900-01-01") and widget.attrs["max"].startswith("2100")


@pytest.fixture
def customer(org):
    return make_customer(org.sales, name="日期客户")


def _range_said(response) -> bool:
    html = response.content.decode()
    return "1900" in html


@pytest.mark.parametrize("raw", BAD_MOMENTS)
def test_task_and_interaction_forms_refuse(org, customer, raw):
    client = client_for(org.sales)
    response = client.post(
        reverse("followups:create", args=[customer.pk]),
        {"kind": "call", "title": "回访", "due_at": raw, "assignee": org.sales.pk},
    )
    assert response.status_code == 422
    assert "due_at" in response.context["form"].errors
    response = client.post(
        reverse("interactions:create", args=[customer.pk]),
        {"kind": "call", "direction": "outbound", "occurred_at": raw},
    )
    assert response.status_code == 422
    assert not Task.objects.exists() and not Interaction.objects.exists()


def test_the_task_form_names_the_range(org, customer):
    response = client_for(org.sales).post(
        reverse("followups:create", args=[customer.pk]),
        {"kind": "call", "due_at": "9999-12-31T10:00", "assignee": org.sales.pk},
    )
    assert response.context["form"].errors["due_at"] == ["时间应在 1900 年至 2100 年之间。"]


@pytest.mark.parametrize("raw", [*BAD_DAYS, "2999-01-01"])
def test_customer_forms_refuse_a_bad_birthday(org, customer, raw):
    client = client_for(org.sales)
    response = client.post(
        reverse("customers:create"), {"kind": "person", "name": "新客户", "birthday": raw}
    )
    assert response.status_code == 422
    assert "birthday" in response.context["form"].errors
    response = client.post(
        reverse("customers:edit", args=[customer.pk]),
        {"kind": "person", "name": "日期客户", "birthday": raw, "version": customer.version},
    )
    assert response.status_code == 422
    assert Customer.objects.count() == 1 and Customer.objects.get().birthday is None


@pytest.mark.parametrize("raw", BAD_MOMENTS)
def test_the_refund_form_refuses(org, customer, raw):
    order, _outcome = order_upsert(
        actor=org.sales,
        data=OrderData(
            source="shop",
            external_id="D-1",
            customer_id=customer.pk,
            ordered_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
            total=Decimal("100.00"),
        ),
    )
    response = client_for(org.sales).post(
        reverse("orders:refund", args=[order.pk]),
        {"amount": "1.00", "reason": "退货", "kind": "refund", "refunded_at": raw},
    )
    assert response.status_code == 422
    assert not Refund.objects.exists()


@pytest.mark.parametrize("raw", ["9999-12-31", "1700000000"])
def test_the_care_agenda_refuses(org, raw):
    response = client_for(org.sales).get(reverse("care:agenda"), {"date": raw})
    assert response.status_code == 422


def test_filters_refuse_a_bad_date_and_say_the_range(org):
    client = client_for(org.admin)
    response = client.get(reverse("orders:list"), {"date_from": "9999-12-31"})
    assert "时间应在 1900 年至 2100 年之间。" in response.content.decode()
    assert response.context["filters"].date_from is None  # shown, not applied
    response = client.get(reverse("lifecycle:analytics"), {"start": "0001-01-01"})
    assert "时间应在 1900 年至 2100 年之间。" in response.content.decode()


def test_date_pickers_get_iso_values_in_every_language(org, customer):
    """``type=date`` reads ISO only: the zh-Hans input format (2025/03/01) showed empty."""
    from django import forms

    class Form(forms.Form):
        day = BusinessDateField()
        birthday = BirthdayField()

    html = str(Form(initial={"day": dt.date(2025, 3, 1), "birthday": dt.date(1990, 8, 15)}))
    assert 'value="2025-03-01"' in html and 'value="1990-08-15"' in html
    customer.birthday = dt.date(1990, 8, 15)
    customer.save(update_fields=["birthday"])
    page = client_for(org.sales).get(reverse("customers:edit", args=[customer.pk]))
    assert 'value="1990-08-15"' in page.content.decode()
