"""Care-plan helpers for the tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kehu.care.models import CareRule, Festival, RuleKind
from kehu.customers.models import Customer


def rule(kind: str = RuleKind.BIRTHDAY, **fields: Any) -> CareRule:
    """A rule straight into the table; the seeded rules are switched off first so a
    test sees only its own."""
    CareRule.objects.exclude(kind="__none__").filter(
        created_by__isnull=True, name__in=SEEDED
    ).update(active=False)
    festivals = fields.pop("festivals", ())
    made = CareRule.objects.create(name=fields.pop("name", f"规则 {kind}"), kind=kind, **fields)
    if festivals:
        made.festivals.set(Festival.objects.filter(name__in=festivals))
    return made


SEEDED = ("生日问候", "节日问候", "超过回访周期未联系")


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_default_timezone())


def set_fields(customer: Customer, **fields: Any) -> Customer:
    Customer.objects.filter(pk=customer.pk).update(**fields)
    customer.refresh_from_db()
    return customer
