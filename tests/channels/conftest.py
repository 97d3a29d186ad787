"""A small acquisition history: leads from the website (one converted, won and bought
twice; one qualified; one new), customers from referrals who bought, and costs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import count

import pytest
from django.utils import timezone

from kehu.channels.services import channel_cost_save
from kehu.leads.conversion import lead_convert
from kehu.leads.services import lead_qualify
from kehu.orders.services import OrderData, order_upsert
from kehu.pipeline.models import Phase
from kehu.pipeline.services import opportunity_create
from tests.factories import make_customer
from tests.leads.conftest import make_lead

_numbers = count(1)


def buy(actor, customer, total: str, days_ago: int = 0):
    return order_upsert(
        actor=actor,
        data=OrderData(
            source="shop",
            external_id=f"o{next(_numbers)}",
            ordered_at=timezone.now() - dt.timedelta(days=days_ago),
            customer_id=customer.pk,
            total=Decimal(total),
        ),
    )[0]


@pytest.fixture
def history(org):
    won = make_lead(
        org.sales, org.sales, name="官网一", phone="13900000001", source_channel="website"
    )
    qualified = make_lead(
        org.sales, org.sales, name="官网二", phone="13900000002", source_channel="website"
    )
    make_lead(org.sales, org.sales, name="官网三", phone="13900000003", source_channel="website")
    for lead in (won, qualified):
        lead_qualify(actor=org.sales, lead=lead, qualified=True)
    customer = lead_convert(actor=org.sales, lead=won).customer
    opportunity = opportunity_create(
        actor=org.sales, customer=customer, name="年度采购", amount=Decimal("300")
    )
    opportunity.status = "won"
    opportunity.save(update_fields=["status"])
    buy(org.sales, customer, "100.00", days_ago=2)
    buy(org.sales, customer, "50.00", days_ago=1)
    referred = [
        make_customer(org.sales, name=f"推荐{i}", source_channel="referral") for i in range(2)
    ]
    buy(org.sales, referred[0], "80.00")
    month = timezone.localdate().replace(day=1)
    channel_cost_save(actor=org.admin, channel="website", month=month, amount=Decimal("300"))
    channel_cost_save(actor=org.admin, channel="referral", month=month, amount=Decimal("40"))
    return {"customer": customer, "referred": referred, "phases": list(Phase.objects.all())}
