"""The demo's opportunities (``kehu demo`` calls it): a share of the owned customers
with an opportunity each, spread over the phases, a few lost, some gone quiet (the
board's stale badge). None is won: the demo's orders stay those of its behaviour."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from kehu.customers.models import Customer
from kehu.orders.models import Product
from kehu.pipeline.models import LossReason, Opportunity
from kehu.pipeline.services import (
    LineInput,
    opportunity_create,
    opportunity_lose,
    opportunity_move,
    phases_active,
)

NAMES = ("年度采购", "门店升级", "员工福利礼品", "新品试销", "节日礼盒", "渠道合作")
NEXT_STEPS = ("发送报价单", "安排产品演示", "确认预算", "拜访决策人", "寄送样品")
COMPETITORS = ("", "", "本地经销商", "电商平台旗舰店", "同城竞品")


@transaction.atomic  # a bulk load: one commit
def demo_pipeline(*, seed: int, now: dt.datetime | None = None) -> dict[str, int]:
    rng = random.Random(seed + 20)
    now = now or timezone.now()
    owned = list(
        Customer.objects.filter(owner__isnull=False, deleted_at__isnull=True)
        .select_related("owner")
        .order_by("id")
    )
    phases = phases_active()
    if not owned or not phases:
        return {"opportunities": 0}
    products = list(Product.objects.filter(is_active=True).order_by("id")[:50])
    reasons = list(LossReason.objects.filter(is_active=True).order_by("position", "id"))
    picks = rng.sample(owned, max(5, min(len(owned) // 8, 400)) if len(owned) > 5 else len(owned))
    weights = [len(phases) - index for index in range(len(phases))]  # fewer further on
    quiet = []
    for customer in picks:
        owner = customer.owner
        assert owner is not None
        lines = []
        if products and rng.random() < 0.7:
            lines = [LineInput(rng.choice(products).pk, Decimal(rng.randint(1, 20)))]
        opportunity = opportunity_create(
            actor=owner,
            customer=customer,
            name=f"{customer.name[:20]} · {rng.choice(NAMES)}",
            amount=None if lines else Decimal(rng.randint(5, 300) * 100),
            expected_close_date=(now + dt.timedelta(days=rng.randint(-15, 150))).date(),
            next_step=rng.choice(NEXT_STEPS),
            competitors=rng.choice(COMPETITORS),
            lines=lines,
        )
        reached = rng.choices(range(len(phases)), weights=weights)[0]
        for phase in phases[1 : reached + 1]:
            opportunity = opportunity_move(actor=owner, opportunity=opportunity, phase=phase)
        if reasons and rng.random() < 0.1:
            opportunity_lose(actor=owner, opportunity=opportunity, reason=rng.choice(reasons))
        elif rng.random() < 0.15:
            quiet.append(opportunity.pk)
    # Some went quiet weeks ago: the board badges them, the nightly job flags them.
    for pk in quiet:
        days = dt.timedelta(days=rng.randint(20, 60))
        Opportunity.objects.filter(pk=pk).update(
            last_activity_at=now - days, phase_entered_at=now - days
        )
    return {"opportunities": len(picks)}
