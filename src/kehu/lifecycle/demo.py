"""Lifecycle history for the demo data set: the stages evaluated as of past dates, so the
customer pages and the analytics have a realistic history (the demo's orders span two
years)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction

from kehu.core.sql import values_in
from kehu.lifecycle.engine import lifecycle_recompute
from kehu.lifecycle.models import CustomerStage, StageChange

# Each pass reads every order: monthly history for the everyday demo (2,000 customers),
# quarterly up to 20,000, and only today's stages above that (a 100,000-customer demo
# must still build in under 3 minutes).
MONTHLY_UP_TO = 5000
QUARTERLY_UP_TO = 20000


def demo_lifecycle(
    *,
    customer_ids: list[int],
    now: dt.datetime,
    years: int = 2,
    progress: Callable[[float], None] | None = None,
) -> dict[str, int]:
    """Replace whatever the demo's events placed with a history evaluated month by month
    (quarter by quarter for big demos) from ``years`` ago up to ``now``; ``progress``
    hears the fraction done after each pass."""
    with transaction.atomic():
        ids = values_in(customer_ids, "int")
        CustomerStage.objects.filter(customer_id__in=ids).delete()
        StageChange.objects.filter(customer_id__in=ids).delete()
    moments = [now]
    if len(customer_ids) <= QUARTERLY_UP_TO:
        step = 30 if len(customer_ids) <= MONTHLY_UP_TO else 91
        moments = [now - dt.timedelta(days=d) for d in range(365 * years, 0, -step)] + [now]
    changes = 0
    for done, moment in enumerate(moments, 1):
        changes += lifecycle_recompute(now=moment, customer_ids=customer_ids).changes
        if progress:
            progress(done / len(moments))
    return {"stage_changes": changes}
