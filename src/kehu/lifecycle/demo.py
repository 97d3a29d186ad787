"""Lifecycle history for the demo data set: the stages evaluated as of past dates, so the
customer pages and the analytics have a realistic history (the demo's orders span two
years)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from kehu.lifecycle.engine import lifecycle_recompute
from kehu.lifecycle.models import CustomerStage, StageChange

MONTHLY_UP_TO = 5000  # customers; above this, quarterly (each pass reads every order)


def demo_lifecycle(*, customer_ids: list[int], now: dt.datetime, years: int = 2) -> dict[str, int]:
    """Replace whatever the demo's events placed with a history evaluated month by month
    (quarter by quarter for big demos) from ``years`` ago up to ``now``."""
    with transaction.atomic():
        CustomerStage.objects.filter(customer_id__in=customer_ids).delete()
        StageChange.objects.filter(customer_id__in=customer_ids).delete()
    step = 30 if len(customer_ids) <= MONTHLY_UP_TO else 91
    moments = [now - dt.timedelta(days=days) for days in range(365 * years, 0, -step)] + [now]
    changes = 0
    for moment in moments:
        changes += lifecycle_recompute(now=moment, customer_ids=customer_ids).changes
    return {"stage_changes": changes}
