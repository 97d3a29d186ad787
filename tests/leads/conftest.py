"""Leads of every kind of visibility for the lead tests."""

from __future__ import annotations

from typing import Any

import pytest

from kehu.leads.models import DisqualifyReason, Lead
from kehu.leads.services import BY_RULE, lead_create


def make_lead(actor: Any, owner: Any = BY_RULE, **data: Any) -> Lead:
    fields = {"name": "李雷", "phone": "13800138000", **data}
    lead, _created = lead_create(actor=actor, data=fields, owner=owner)
    return lead


@pytest.fixture
def leads(org):
    return {
        "own": make_lead(org.sales, org.sales, name="东一", phone="13800138001"),
        "other": make_lead(org.admin, org.east_sales2, name="东二", phone="13800138002"),
        "west": make_lead(org.admin, org.west_sales, name="西一", phone="13800138003"),
        "pool": make_lead(org.admin, None, name="池一", phone="13800138004"),
    }


@pytest.fixture
def reason(db):
    return DisqualifyReason.objects.create(name="无购买意向", position=1)
