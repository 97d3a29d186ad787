"""Care messages through the real ``kehu.messaging.services.message_to_customers``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from kehu.care.models import CareItem, RuleKind
from kehu.care.services import agenda_build
from tests.care.factories import rule
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def test_rule_message_goes_out_once(org) -> None:
    rule(RuleKind.FESTIVAL, send_message=True, channel="email")
    make_customer(org.sales, name="甲", email="a@example.com")
    make_customer(org.sales, name="乙")
    first = agenda_build(day=dt.date(2026, 10, 1))
    assert first.messages == 2
    campaigns = set(CareItem.objects.values_list("campaign_id", flat=True))
    assert len(campaigns) == 1 and None not in campaigns
    again = agenda_build(day=dt.date(2026, 10, 1))
    assert again.messages == 0
    assert set(CareItem.objects.values_list("campaign_id", flat=True)) == campaigns


def test_greetings_from_the_page(org) -> None:
    rule(RuleKind.FESTIVAL)
    make_customer(org.sales, name="甲", email="a@example.com")
    agenda_build(day=dt.date(2026, 10, 1))
    client = Client()
    client.force_login(org.sales)
    response = client.post(
        reverse("care:greetings") + "?date=2026-10-01",
        {
            "items": list(CareItem.objects.values_list("pk", flat=True)),
            "channel": "email",
            "subject": "国庆",
            "body": "{称呼}，国庆快乐！",
        },
    )
    assert response.status_code == 302
    assert CareItem.objects.get().campaign_id


def test_unknown_placeholder_is_refused_and_nothing_marked(org) -> None:
    rule(RuleKind.FESTIVAL)
    make_customer(org.sales, name="甲", email="a@example.com")
    agenda_build(day=dt.date(2026, 10, 1))
    client = Client()
    client.force_login(org.sales)
    client.post(
        reverse("care:greetings"),
        {
            "items": list(CareItem.objects.values_list("pk", flat=True)),
            "channel": "email",
            "body": "{称谓}好",
        },
    )
    assert CareItem.objects.get().campaign_id is None
