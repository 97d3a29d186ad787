"""The nightly analytics summaries: per model, the daily flow counts up to yesterday
and a snapshot of the funnel, time in stage and cohort retention over every customer.

Idempotent and resumable: each day's flow rows are replaced in one transaction (the
last ``REDO_DAYS`` days are always redone, in case a change was recorded late), and the
snapshot row of a day is replaced, never added twice. A run killed half-way leaves the
previous snapshot in place and the next run finishes the work.

Reads the history chunk by chunk of customers (on the (customer, model, at) index), so
memory stays bounded at millions of rows.
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Min
from django.db.models.functions import TruncDate
from django.utils import timezone

from kehu.core.days import day_end, day_start
from kehu.jobs.schedule import DailyAt, periodic_job
from kehu.lifecycle import stats
from kehu.lifecycle.analytics_models import StageFlowDaily, StatsSnapshot
from kehu.lifecycle.analytics_selectors import stage_infos
from kehu.lifecycle.models import LifecycleModel, StageChange
from kehu.orders.models import Order, OrderStatus

REDO_DAYS = 3
CHUNK_CUSTOMERS = 20_000


def flows_summarise(model: LifecycleModel, *, through: dt.date) -> int:
    """(Re)write the daily flow rows of ``model`` up to ``through``; returns days written."""
    tz = timezone.get_default_timezone()
    last = StageFlowDaily.objects.filter(model=model).aggregate(d=Max("day"))["d"]
    if last is None:
        first_at = StageChange.objects.filter(model=model).aggregate(a=Min("at"))["a"]
        if first_at is None:
            return 0
        start = first_at.astimezone(tz).date()
    else:
        start = last - dt.timedelta(days=REDO_DAYS - 1)
    if start > through:
        return 0
    rows = (
        StageChange.objects.filter(
            model=model, at__gte=day_start(start, tz), at__lt=day_end(through, tz)
        )
        .annotate(day=TruncDate("at", tzinfo=tz))
        .values("day", "from_stage_id", "to_stage_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    objects = [
        StageFlowDaily(
            model=model,
            day=r["day"],
            from_stage_id=r["from_stage_id"],
            to_stage_id=r["to_stage_id"],
            count=r["n"],
        )
        for r in rows
    ]
    with transaction.atomic():
        StageFlowDaily.objects.filter(model=model, day__gte=start, day__lte=through).delete()
        StageFlowDaily.objects.bulk_create(objects, batch_size=5000)
    return (through - start).days + 1


def snapshot_compute(model: LifecycleModel, *, day: dt.date) -> dict[str, Any]:
    """Funnel, time in stage and cohorts over every customer as of the end of ``day``."""
    tz = timezone.get_default_timezone()
    end = day_end(day, tz)
    stages = stage_infos(model)
    funnel = stats.FunnelCounts()
    closed: dict[int, array[float]] = defaultdict(lambda: array("d"))
    running: dict[int, array[float]] = defaultdict(lambda: array("d"))
    cohort_parts: list[list[stats.Cohort]] = []
    history = StageChange.objects.filter(model=model, at__lt=end)
    low = 0
    while True:
        ids = list(
            history.filter(customer_id__gt=low)
            .order_by("customer_id")
            .values_list("customer_id", flat=True)
            .distinct()[:CHUNK_CUSTOMERS]
        )
        if not ids:
            break
        high = ids[-1]
        rows: list[stats.ChangeRow] = list(
            history.filter(customer_id__gt=low, customer_id__lte=high)
            .order_by("customer_id", "at", "id")
            .values_list("customer_id", "from_stage_id", "to_stage_id", "at")
        )
        funnel.add(stats.first_reached(rows), stages)
        done, still = stats.spells(rows, end)
        for k, v in done.items():
            closed[k].extend(v)
        for k, v in still.items():
            running[k].extend(v)
        firsts = (
            Order.objects.filter(customer_id__gt=low, customer_id__lte=high, ordered_at__lt=end)
            .exclude(status=OrderStatus.CANCELLED)
            .values("customer_id")
            .annotate(first=Min("ordered_at"))
            .order_by()
        )
        first_purchase = {r["customer_id"]: r["first"].astimezone(tz).date() for r in firsts}
        cohort_parts.append(stats.cohort_retention(rows, stages, first_purchase, as_of=day, tz=tz))
        low = high
    times = stats.time_in_stage_from_spells((closed, running), stages)
    return {
        "funnel": {
            "total": funnel.total,
            "reached": {str(k): v for k, v in funnel.reached.items()},
            "onward": {str(k): v for k, v in funnel.onward.items()},
        },
        "times": [
            {
                "stage": t.stage.id,
                "closed": t.closed,
                "open": t.open,
                "mean_days": t.mean_days,
                "median_days": t.median_days,
                "closed_mean_days": t.closed_mean_days,
                "closed_median_days": t.closed_median_days,
            }
            for t in times
        ],
        "cohorts": [
            {"month": c.month.isoformat(), "size": c.size, "active": c.active}
            for c in stats.cohorts_merge(cohort_parts)
        ],
    }


def analytics_refresh(*, today: dt.date | None = None) -> dict[str, Any]:
    """Summaries of every model up to yesterday (local). Safe to run any number of times."""
    today = today or timezone.localdate()
    through = today - dt.timedelta(days=1)
    done: dict[str, Any] = {}
    for model in LifecycleModel.objects.order_by("id"):
        days = flows_summarise(model, through=through)
        data = snapshot_compute(model, day=through)
        StatsSnapshot.objects.update_or_create(
            model=model, day=through, defaults={"data": data, "computed_at": timezone.now()}
        )
        StatsSnapshot.objects.filter(model=model, day__lt=through).delete()
        done[model.key] = {"flow_days": days, "customers": data["funnel"]["total"]}
    return done


@periodic_job("lifecycle_analytics", DailyAt(3, 30), lease=dt.timedelta(hours=2))
def lifecycle_analytics() -> dict[str, Any]:
    """The analytics summaries (生命周期分析) of yesterday, for every model."""
    return analytics_refresh()
