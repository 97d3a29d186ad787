"""Channel costs: typed in by admins and managers, a change made meanwhile refused, a
second cost for the same channel and month refused with a clear message."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from kehu.channels.models import ChannelCost
from kehu.channels.services import channel_cost_save
from kehu.core.errors import ConflictError

MONTH = dt.date(2026, 11, 1)


def test_a_manager_records_and_changes_a_cost(org):
    cost = channel_cost_save(
        actor=org.manager, channel="website", month=dt.date(2026, 11, 17), amount=Decimal("10")
    )
    assert cost.month == MONTH and cost.version == 1
    cost = channel_cost_save(
        actor=org.manager,
        channel="website",
        month=MONTH,
        amount=Decimal("12.50"),
        cost=cost,
        version=1,
    )
    assert cost.version == 2 and ChannelCost.objects.get().amount == Decimal("12.50")
    with pytest.raises(ConflictError):
        channel_cost_save(
            actor=org.admin,
            channel="website",
            month=MONTH,
            amount=Decimal("1"),
            cost=cost,
            version=1,
        )
    assert ChannelCost.objects.get().amount == Decimal("12.50")


def test_the_same_month_twice_is_refused(org):
    channel_cost_save(actor=org.admin, channel="website", month=MONTH, amount=Decimal("10"))
    with pytest.raises(ValidationError) as caught:
        channel_cost_save(actor=org.admin, channel="website", month=MONTH, amount=Decimal("5"))
    assert "已经有成本记录" in str(caught.value)
    assert ChannelCost.objects.count() == 1


@pytest.mark.parametrize("role", ["sales", "service", "analyst"])
def test_other_roles_may_not_record_costs(org, role):
    with pytest.raises(PermissionDenied):
        channel_cost_save(
            actor=getattr(org, role), channel="website", month=MONTH, amount=Decimal("1")
        )


def test_the_costs_page_records_refuses_bad_input_and_deletes(org):
    client = Client()
    client.force_login(org.manager)
    url = reverse("channels:costs")
    response = client.post(url, {"channel": "website", "month": "2026-11", "amount": "-5"})
    assert response.status_code == 200 and not ChannelCost.objects.exists()
    response = client.post(url, {"channel": "website", "month": "2026-11", "amount": "800"})
    assert response.status_code == 302
    cost = ChannelCost.objects.get()
    page = client.get(url).content.decode()
    assert "¥800.00" in page and "2026-11" in page
    # A stale version: refused, the form shown again with what was typed.
    edit = reverse("channels:cost_edit", args=[cost.pk])
    client.post(edit, {"channel": "website", "month": "2026-11", "amount": "900", "version": "1"})
    response = client.post(
        edit, {"channel": "website", "month": "2026-11", "amount": "950", "version": "1"}
    )
    assert response.status_code == 200 and "已被他人修改" in response.content.decode()
    assert ChannelCost.objects.get().amount == Decimal("900")
    client.post(reverse("channels:cost_delete", args=[cost.pk]))
    assert not ChannelCost.objects.exists()
    assert client.get(reverse("channels:cost_edit", args=[cost.pk])).status_code == 404
