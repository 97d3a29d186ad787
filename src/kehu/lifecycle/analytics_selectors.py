"""Reads for the lifecycle analytics page and the stats endpoint, scoped to the
customers the user may see (``visibility_q``) and the filters chosen.

Two ways to the same numbers:

* **everything** — the user sees every customer and filters nothing: stage counts,
  their course over time and the flows come from the daily flow summary
  (``StageFlowDaily``, a few rows per day) plus the history since its last day (read
  live, so today is exact); funnel, time in stage and cohorts from the latest
  ``StatsSnapshot`` (as of yesterday). A handful of small queries at any size.
* **a subset** (a team, an owner, a channel, a tag, or a role that sees part of the
  customers): their history is read (at most ``LIVE_LIMIT`` rows) and everything is
  computed by ``stats`` at once. Beyond that, stage counts and flows are counted in
  SQL and the other sections ask for a narrower filter.

Soft-deleted customers stay in the history and so in the figures (like their orders).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Min, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.charts import chart_config
from kehu.core.days import day_end, day_start
from kehu.customers.access import visibility_q
from kehu.customers.audiences import audience_for
from kehu.customers.models import Customer
from kehu.lifecycle import stats
from kehu.lifecycle.analytics_models import StageFlowDaily, StatsSnapshot
from kehu.lifecycle.models import CustomerStage, LifecycleModel, StageChange
from kehu.orders.models import Order, OrderStatus

LIVE_LIMIT = 100_000
LIVE_CUSTOMERS = 20_000  # more in scope: counts and flows only (see _fill_live)


@dataclass(frozen=True)
class AnalyticsFilters:
    model: LifecycleModel
    start: dt.date
    end: dt.date
    bucket: str = "week"
    team_id: int | None = None
    owner_id: int | None = None
    channel: str = ""
    tag_id: int | None = None
    segment_id: int | None = None  # an audience (``customers.audiences``)

    @property
    def narrows(self) -> bool:
        return bool(self.team_id or self.owner_id or self.channel or self.tag_id or self.segment_id)


def analytics_models() -> list[LifecycleModel]:
    """Active models first (the default first of all), then the others."""
    return list(LifecycleModel.objects.order_by("-is_active", "-is_default", "position", "id"))


def model_by_key(key: str) -> LifecycleModel | None:
    if not key:
        return LifecycleModel.objects.filter(is_default=True).first() or (
            LifecycleModel.objects.order_by("position", "id").first()
        )
    return LifecycleModel.objects.filter(key=key).first()


def stage_infos(model: LifecycleModel) -> list[stats.StageInfo]:
    return [
        stats.StageInfo(s.pk, s.key, s.name, s.color, s.position, s.kind == "churned")
        for s in model.stages.order_by("position", "id")
    ]


def customers_in_scope(user: User, f: AnalyticsFilters) -> tuple[QuerySet[Customer, Any], bool]:
    """The customers the figures cover, and whether that is every customer."""
    q = visibility_q(user)
    everything = user.sees_all_customers and not f.narrows
    if f.team_id:
        q &= Q(team_id=f.team_id)
    if f.owner_id:
        q &= Q(owner_id=f.owner_id)
    if f.channel:
        q &= Q(source_channel=f.channel)
    if f.tag_id:
        q &= Q(tags__id=f.tag_id)
    if f.segment_id:
        q &= audience_for(user, "segment", f.segment_id).q
    return Customer.objects.filter(q).values("pk"), everything


@dataclass
class StageCount:
    stage: stats.StageInfo
    count: int
    share: float | None


@dataclass
class LifecycleReport:
    model: LifecycleModel
    filters: AnalyticsFilters
    stages: list[stats.StageInfo]
    counts: list[StageCount] = field(default_factory=list)
    total: int = 0
    periods: list[stats.Bucket] = field(default_factory=list)
    over_time: list[dict[int, int]] = field(default_factory=list)
    funnel: list[stats.FunnelStep] = field(default_factory=list)
    times: list[stats.StageTime] = field(default_factory=list)
    flows: list[stats.Flow] = field(default_factory=list)
    cohorts: list[stats.Cohort] = field(default_factory=list)
    snapshot_at: dt.datetime | None = None  # funnel/time/cohorts as of (everything path)
    too_many: bool = False  # a subset too large to read: only counts and flows

    @property
    def empty(self) -> bool:
        return self.total == 0 and not self.flows

    @property
    def named_flows(self) -> list[tuple[str | None, str, int]]:
        """(from name or None for customers entering the model, to name, count)."""
        names = {s.id: s.name for s in self.stages}
        return [
            (
                names.get(fl.from_stage, "") if fl.from_stage else None,
                names.get(fl.to_stage, ""),
                fl.count,
            )
            for fl in self.flows
        ]


def _tz() -> dt.tzinfo:
    return timezone.get_default_timezone()


def _counts(
    stages: list[stats.StageInfo], by_stage: dict[int, int]
) -> tuple[list[StageCount], int]:
    total = sum(by_stage.get(s.id, 0) for s in stages)
    return [
        StageCount(s, by_stage.get(s.id, 0), stats._pct(by_stage.get(s.id, 0), total))
        for s in stages
    ], total


def lifecycle_report(user: User, f: AnalyticsFilters) -> LifecycleReport:
    stages = stage_infos(f.model)
    report = LifecycleReport(model=f.model, filters=f, stages=stages)
    report.periods = stats.buckets(f.start, f.end, f.bucket)
    customers, everything = customers_in_scope(user, f)
    if everything and latest_snapshot(f.model) is not None:
        _fill_from_summaries(report, f)
    else:
        _fill_live(report, f, customers)
    return report


# --- every customer: the summaries ----------------------------------------------------------


def latest_snapshot(model: LifecycleModel) -> StatsSnapshot | None:
    return StatsSnapshot.objects.filter(model=model).order_by("-day").first()


def flow_rows(model: LifecycleModel, *, until: dt.date) -> list[stats.FlowRow]:
    """Every move up to the end of ``until``: the daily summary up to its last day, then
    the history itself (a range on the (model, at) index: usually today only)."""
    tz = _tz()
    snapshot = latest_snapshot(model)
    rows: list[stats.FlowRow] = []
    live_from = None
    if snapshot is not None:
        covered = min(snapshot.day, until)
        summary = (
            StageFlowDaily.objects.filter(model=model, day__lte=covered)
            .values("day", "from_stage_id", "to_stage_id")
            .annotate(n=Sum("count"))
            .order_by()
        )
        rows = [
            (day_start(r["day"], tz), r["from_stage_id"], r["to_stage_id"], r["n"]) for r in summary
        ]
        live_from = day_end(snapshot.day, tz)
    changes = StageChange.objects.filter(model=model, at__lt=day_end(until, tz))
    if live_from is not None:
        changes = changes.filter(at__gte=live_from)
    rows.extend(
        (at, a, b, 1)
        for at, a, b in changes.order_by("at", "id").values_list(
            "at", "from_stage_id", "to_stage_id"
        )
    )
    return rows


def _fill_from_summaries(report: LifecycleReport, f: AnalyticsFilters) -> None:
    tz = _tz()
    rows = flow_rows(f.model, until=f.end)
    moments = [day_end(b.last, tz) for b in report.periods]
    report.over_time = stats.distribution_from_flows(rows, moments)
    report.counts, report.total = _counts(report.stages, report.over_time[-1])
    start, end = day_start(f.start, tz), day_end(f.end, tz)
    pairs: dict[tuple[int | None, int], int] = defaultdict(int)
    for at, a, b, n in rows:
        if start <= at < end:
            pairs[(a, b)] += n
    report.flows = stats.flows_from_counts(pairs.items())
    snapshot = latest_snapshot(f.model)
    if snapshot is not None:
        report.snapshot_at = snapshot.computed_at
        _from_snapshot(report, snapshot.data)


def _from_snapshot(report: LifecycleReport, data: dict[str, Any]) -> None:
    by_id = {s.id: s for s in report.stages}
    funnel = data.get("funnel") or {}
    counts = stats.FunnelCounts(total=int(funnel.get("total", 0)))
    counts.reached.update({int(k): int(v) for k, v in (funnel.get("reached") or {}).items()})
    counts.onward.update({int(k): int(v) for k, v in (funnel.get("onward") or {}).items()})
    report.funnel = counts.steps(report.stages)
    times = {int(t["stage"]): t for t in data.get("times") or []}
    report.times = [
        stats.StageTime(
            stage=s,
            **{k: v for k, v in times[s.id].items() if k != "stage"},
        )
        for s in report.stages
        if s.id in times and s.id in by_id
    ]
    report.cohorts = [
        stats.Cohort(month=dt.date.fromisoformat(c["month"]), size=c["size"], active=c["active"])
        for c in data.get("cohorts") or []
    ]


# --- a subset: live ------------------------------------------------------------------------


def first_purchases(customers: QuerySet[Customer, Any]) -> dict[int, dt.date]:
    tz = _tz()
    rows = (
        Order.objects.filter(customer__in=customers)
        .exclude(status=OrderStatus.CANCELLED)
        .values("customer_id")
        .annotate(first=Min("ordered_at"))
        .order_by()
    )
    return {r["customer_id"]: r["first"].astimezone(tz).date() for r in rows}


def _fill_live(
    report: LifecycleReport, f: AnalyticsFilters, customers: QuerySet[Customer, Any]
) -> None:
    tz = _tz()
    history = StageChange.objects.filter(model=f.model, customer__in=customers)
    # Many customers in scope (a salesperson's share of a large pool): their history
    # would pass the limit anyway; go to the counts without reading it first.
    crowded = customers[: LIVE_CUSTOMERS + 1].count() > LIVE_CUSTOMERS
    rows: list[stats.ChangeRow] = (
        []
        if crowded
        else list(
            history.filter(at__lt=day_end(f.end, tz))
            .order_by("at", "id")
            .values_list("customer_id", "from_stage_id", "to_stage_id", "at")[: LIVE_LIMIT + 1]
        )
    )
    start, end = day_start(f.start, tz), day_end(f.end, tz)
    if crowded or len(rows) > LIVE_LIMIT:
        report.too_many = True
        current = (
            CustomerStage.objects.filter(model=f.model, customer__in=customers)
            .values("stage_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        report.counts, report.total = _counts(
            report.stages, {r["stage_id"]: r["n"] for r in current}
        )
        pairs = (
            history.filter(at__gte=start, at__lt=end)
            .values("from_stage_id", "to_stage_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        report.flows = stats.flows_from_counts(
            ((r["from_stage_id"], r["to_stage_id"]), r["n"]) for r in pairs
        )
        report.periods = []
        return
    report.over_time = stats.distribution_over_time(rows, report.periods, tz)
    report.counts, report.total = _counts(report.stages, report.over_time[-1])
    report.flows = stats.flows(rows, start, end)
    report.funnel = stats.funnel(rows, report.stages)
    now = min(timezone.now(), end)
    report.times = stats.time_in_stage(rows, report.stages, now)
    report.cohorts = stats.cohort_retention(
        rows, report.stages, first_purchases(customers), as_of=f.end, tz=tz
    )


# --- the stats endpoint --------------------------------------------------------------------


def stats_payload(report: LifecycleReport) -> dict[str, Any]:
    """The report as plain data (API, chart data)."""
    key = {s.id: s.key for s in report.stages}
    return {
        "model": report.model.key,
        "from": report.filters.start,
        "to": report.filters.end,
        "total": report.total,
        "counts": [
            {"stage": c.stage.key, "name": c.stage.name, "count": c.count, "share": c.share}
            for c in report.counts
        ],
        "funnel": [
            {
                "stage": s.stage.key,
                "name": s.stage.name,
                "reached": s.reached,
                "share": s.share,
                "to_next": s.to_next,
            }
            for s in report.funnel
        ],
        "flows": [
            {
                "from_stage": key.get(fl.from_stage) if fl.from_stage else None,
                "to_stage": key.get(fl.to_stage, ""),
                "count": fl.count,
            }
            for fl in report.flows
        ],
        "partial": report.too_many,
    }


def chart_data(report: LifecycleReport) -> dict[str, Any]:
    """What the page's ECharts draw (the tables beside them read the report itself)."""
    names = {s.id: s.name for s in report.stages}
    entering = _("新进入")
    return {
        "config": chart_config(),
        "stages": [{"name": s.name, "color": s.color} for s in report.stages],
        "now": [
            {"name": c.stage.name, "value": c.count, "itemStyle": {"color": c.stage.color}}
            for c in report.counts
        ],
        "labels": [b.label for b in report.periods],
        "series": [[point.get(s.id, 0) for point in report.over_time] for s in report.stages],
        "funnel": [{"name": st.stage.name, "value": st.reached} for st in report.funnel],
        "times": {
            "names": [t.stage.name for t in report.times],
            "mean": [t.mean_days for t in report.times],
            "median": [t.median_days for t in report.times],
        },
        "sankey": {
            # Sources on the left, destinations (→) on the right: moves back (won back)
            # would otherwise make a cycle, which a Sankey cannot draw.
            "nodes": [{"name": entering}]
            + [{"name": s.name} for s in report.stages]
            + [{"name": "→ " + s.name} for s in report.stages],
            "links": [
                {
                    "source": names.get(fl.from_stage, "") if fl.from_stage else entering,
                    "target": "→ " + names.get(fl.to_stage, ""),
                    "value": fl.count,
                }
                for fl in report.flows
            ],
        },
        "cohorts": {
            "months": [c.label for c in report.cohorts],
            "offsets": max((len(c.active) for c in report.cohorts), default=0),
            "cells": [
                [n, i, share]
                for i, c in enumerate(report.cohorts)
                for n, share in enumerate(c.shares)
            ],
        },
    }
