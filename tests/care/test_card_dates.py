"""The customer page survives any stored date: an old row's lunar birthday of
9999-12-31 or 0001-01-01 (or a last contact at the end of year 9999) shows the page
and leaves out what cannot be computed from it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from kehu.care import lunar
from kehu.customers.models import Customer
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("day", [dt.date(9999, 12, 31), dt.date(1, 1, 1), dt.date(2100, 6, 1)])
@pytest.mark.parametrize("is_lunar", [True, False])
def test_the_customer_page_renders_with_a_stored_nonsense_birthday(org, day, is_lunar):
    customer = make_customer(org.sales, name="寿星")
    Customer.objects.filter(pk=customer.pk).update(birthday=day, birthday_is_lunar=is_lunar)
    client = Client()
    client.force_login(org.sales)
    response = client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "寿星" in html and 'id="care"' in html
    assert f"生日 {day.isoformat()} 无效" in html
    assert "下次生日" in html


def test_a_last_contact_at_the_end_of_time_keeps_the_page(org):
    customer = make_customer(org.sales, name="远方")
    end = dt.datetime(9999, 12, 31, 20, tzinfo=dt.UTC)  # 10000-01-01 in Shanghai
    Customer.objects.filter(pk=customer.pk).update(last_contact_at=end)
    client = Client()
    client.force_login(org.sales)
    assert client.get(reverse("customers:detail", args=[customer.pk])).status_code == 200


def test_lunar_dates_past_the_tables_are_refused_not_invented():
    for day in (dt.date(2100, 2, 9), dt.date(9999, 12, 31)):
        with pytest.raises(lunar.LunarRangeError):
            lunar.birth_key(day)
    assert lunar.solar_to_lunar(dt.date(2100, 2, 8)) == lunar.LunarDay(2099, 12, 30, False)
