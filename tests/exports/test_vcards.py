"""vCards of one customer or a selection round-trip through vobject; a company's
contacts come as cards of their own; a pool customer's contact data stays out."""

from __future__ import annotations

import datetime as dt

import vobject
from django.urls import reverse

from kehu.customers.models import Contact
from tests.exports.conftest import client_for
from tests.factories import make_customer


def _cards(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/vcard")
    return list(vobject.readComponents(response.content.decode("utf-8")))


def test_one_customer_round_trips(org):
    customer = make_customer(
        org.sales,
        name="张三丰",
        phones=("13800000001", "13900000002"),
        email="zsf@example.com",
        province="湖北",
        city="十堰",
        address="武当山 1 号",
        birthday=dt.date(1990, 5, 17),
        notes="太极\n第二行",
    )
    (card,) = _cards(
        client_for(org.sales).get(reverse("exports:vcard_customer", args=[customer.pk]))
    )
    assert card.fn.value == "张三丰"
    assert [t.value for t in card.contents["tel"]] == ["+8613800000001", "+8613900000002"]
    assert card.email.value == "zsf@example.com"
    assert card.adr.value.street == "武当山 1 号" and card.adr.value.region == "湖北"
    assert card.bday.value == "1990-05-17"
    assert card.note.value == "太极\n第二行"


def test_company_contacts_are_their_own_cards(org):
    company = make_customer(org.sales, name="武当科技有限公司", kind="company")
    Contact.objects.create(customer=company, name="宋远桥", title="总经理", phone="+8613700000000")
    cards = _cards(client_for(org.sales).get(reverse("exports:vcard_customer", args=[company.pk])))
    assert [c.fn.value for c in cards] == ["武当科技有限公司", "宋远桥"]
    assert cards[1].org.value == ["武当科技有限公司"] and cards[1].title.value == "总经理"


def test_selection_and_the_pool_masked(org):
    own = make_customer(org.sales, name="甲", phones=("13800000001",))
    pool = make_customer(None, name="乙", phones=("13800000002",), email="p@example.com")
    other = make_customer(org.west_sales, name="丙")
    url = reverse("exports:vcard_selection") + f"?ids={own.pk}&ids={pool.pk}&ids={other.pk}"
    cards = _cards(client_for(org.sales).get(url))
    assert sorted(c.fn.value for c in cards) == ["乙", "甲"]
    pooled = next(c for c in cards if c.fn.value == "乙")
    assert "tel" not in pooled.contents and "email" not in pooled.contents
    assert (
        client_for(org.sales).get(reverse("exports:vcard_customer", args=[other.pk])).status_code
        == 404
    )
