"""Merging customers moves consent and messages; list pages stay bounded."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kehu.customers.merge import customer_merge
from kehu.messaging.models import Consent, ConsentEvent, Recipient
from kehu.messaging.services import message_to_customers
from tests.messaging.factories import consenting_customer

pytestmark = pytest.mark.django_db


def test_merge_moves_consent_history_and_messages(org):
    survivor = consenting_customer(org.sales, name="王小明", channels=("email",))
    other = consenting_customer(org.sales, name="王晓明")
    campaign = message_to_customers(
        actor=None, customer_ids=[other.pk], channel="sms", body="hi", name="x", purpose="care"
    )
    customer_merge(actor=org.admin, survivor_id=survivor.pk, other_id=other.pk)
    # The survivor's own e-mail consent stays; the other's SMS consent moves over.
    assert set(Consent.objects.filter(customer=survivor).values_list("channel", flat=True)) == {
        "email",
        "sms",
    }
    assert ConsentEvent.objects.filter(customer=survivor).count() == 3
    assert Recipient.objects.get(campaign=campaign).customer_id == survivor.pk


def test_campaign_page_queries_are_bounded(org, django_assert_max_num_queries):
    customers = [consenting_customer(org.sales, name=f"客户{i}") for i in range(30)]
    campaign = message_to_customers(
        actor=org.sales,
        customer_ids=[c.pk for c in customers],
        channel="sms",
        body="{称呼}好",
        name="x",
    )
    client = Client()
    client.force_login(org.sales)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("messaging:detail", args=[campaign.pk]))
    assert response.status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("messaging:campaigns")).status_code == 200
