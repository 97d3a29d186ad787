"""Interactions: who may log them, validation, last contact, the page form."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from kehu.customers.models import Customer
from kehu.customers.services import contact_save
from kehu.interactions.models import Interaction
from kehu.interactions.services import interaction_log
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def test_log_sets_last_contact_and_checks_the_contact(org):
    customer = make_customer(org.sales, name="杭州甲公司", kind="company")
    other = make_customer(org.sales, name="乙")
    contact = contact_save(actor=org.sales, customer=customer, data={"name": "刘经理"})
    stranger = contact_save(actor=org.sales, customer=other, data={"name": "外人"})
    when = timezone.now() - dt.timedelta(hours=2)
    interaction = interaction_log(
        actor=org.sales,
        customer=customer,
        data={"kind": "call", "occurred_at": when, "notes": "询价", "duration_minutes": 5},
        contact_id=contact.pk,
    )
    assert interaction.user == org.sales and interaction.contact == contact
    assert Customer.objects.get(pk=customer.pk).last_contact_at == when
    with pytest.raises(ValidationError):
        interaction_log(
            actor=org.sales, customer=customer, data={"kind": "call"}, contact_id=stranger.pk
        )


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "fax"},
        {"kind": "call", "direction": "sideways"},
        {"kind": "call", "occurred_at": timezone.now() + dt.timedelta(days=3)},
        {"kind": "call", "notes": "x" * 5001},
        {"kind": "call", "unknown": 1},
    ],
)
def test_bad_input_changes_nothing(org, data):
    customer = make_customer(org.sales, name="甲")
    with pytest.raises(ValidationError):
        interaction_log(actor=org.sales, customer=customer, data=data)
    assert not Interaction.objects.exists()


def test_who_may_log(org):
    own = make_customer(org.sales, name="甲")
    interaction_log(actor=org.service, customer=own, data={"kind": "call"})  # 客服
    interaction_log(actor=org.manager, customer=own, data={"kind": "visit"})
    for refused in (org.analyst, org.east_sales2):
        with pytest.raises(PermissionDenied):
            interaction_log(actor=refused, customer=own, data={"kind": "call"})


def test_log_from_the_customer_page(client, org):
    customer = make_customer(org.sales, name="甲")
    client.force_login(org.sales)
    url = reverse("interactions:create", args=[customer.pk])
    response = client.post(url, {"kind": "wechat", "direction": "inbound", "notes": "想要报价"})
    assert response.status_code == 302
    assert Interaction.objects.get().notes == "想要报价"
    bad = client.post(url, {"kind": "nope"})
    assert bad.status_code == 422 and "invalid-feedback" in bad.content.decode()
    client.force_login(org.analyst)
    assert client.post(url, {"kind": "call"}).status_code == 403
    client.force_login(org.west_sales)
    assert client.post(url, {"kind": "call"}).status_code == 404
