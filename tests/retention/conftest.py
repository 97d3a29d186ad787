"""Playbooks, customers and their orders for the retention tests."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from django.utils import timezone

from kehu.lifecycle.models import Stage
from kehu.orders.services import OrderData, order_upsert
from kehu.retention.models import OwnerRule, Playbook, StepKind, Trigger
from kehu.retention.services import playbook_create
from kehu.value.models import CustomerValue, RunStatus, ScoreRun

_numbers = count(1)


def buy(actor, customer, total: str = "100.00", days_ago: float = 0):
    return order_upsert(
        actor=actor,
        data=OrderData(
            source="shop",
            external_id=f"r{next(_numbers)}",
            ordered_at=timezone.now() - dt.timedelta(days=days_ago),
            customer_id=customer.pk,
            total=Decimal(total),
        ),
    )[0]


def stage(key: str, model: str = "six_phase") -> Stage:
    return Stage.objects.get(model__key=model, key=key)


def make_playbook(actor, *, steps: list[dict[str, Any]] | None = None, **data: Any) -> Playbook:
    fields = {"name": "高风险挽留", "trigger": Trigger.MANUAL, "holdout_percent": 0, **data}
    return playbook_create(
        actor=actor,
        data=fields,
        steps=steps
        if steps is not None
        else [
            {"kind": StepKind.CALL, "title": "了解原因", "due_days": 2},
            {"kind": StepKind.REVIEW, "due_days": 5, "owner_rule": OwnerRule.TEAM_MANAGER},
        ],
    )


def score(customers, *, risks=None, tiers=None, clv="500.00", as_of=None, reasons=None):
    """A successful scoring run with a row per customer."""
    as_of = as_of or timezone.localdate()
    run = ScoreRun.objects.create(
        as_of=as_of, started_at=timezone.now(), status=RunStatus.SUCCEEDED
    )
    CustomerValue.objects.bulk_create(
        CustomerValue(
            run=run,
            customer=c,
            recency_days=30,
            r=3,
            f=3,
            m=3,
            rfm_score=9,
            rfm_segment="x",
            orders=2,
            revenue=Decimal("300"),
            segment="middle",
            tier=(tiers or {}).get(c.pk, 3),
            clv=Decimal(clv),
            risk=(risks or {}).get(c.pk, 0.1),
            reasons=reasons or [{"code": "rhythm_break", "params": {}}],
            money_at_stake=Decimal("100"),
        )
        for c in customers
    )
    return run


@pytest.fixture
def rng():
    return random.Random(7)
