"""Channels compared (000 §2) for a span of months, optionally one team: per source
channel or campaign, side by side, what it brought and what it cost, and the funnel
lead → qualified → opportunity → won → repeat buyer.

Read from the nightly ``ChannelMonth`` rows plus, live, the customers and leads created
since that pass (``kehu.channels.summaries``): a few hundred rows whatever the number
of customers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext as _

from kehu.channels.models import ChannelCost, ChannelMonth, ChannelSummaryRun
from kehu.channels.summaries import (
    Key,
    Sums,
    channel_summary_latest,
    channel_sums_since,
    counted,
)
from kehu.customers.models import SourceChannel
from kehu.messaging.models import Campaign

BY_CHANNEL, BY_CAMPAIGN = "channel", "campaign"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Span:
    start: dt.date  # first day of the first month
    end: dt.date  # first day of the last month
    team_id: int | None = None
    by: str = BY_CHANNEL

    def holds(self, key: Key) -> bool:
        month, _channel, _campaign, team = key
        return self.start <= month <= self.end and (self.team_id is None or team == self.team_id)


@dataclass
class ChannelRow:
    """One channel (or campaign) of the comparison."""

    key: str
    label: str
    sums: Sums = field(default_factory=Sums)
    cost: Decimal = Decimal("0")

    def __getattr__(self, name: str) -> Any:  # the sums' counts and amounts by name
        if name in ("sums", "key", "label", "cost"):
            raise AttributeError(name)
        return self.sums.get(name)

    @property
    def cost_per_customer(self) -> Decimal | None:
        customers = self.sums.counts["customers"]
        if not customers or not self.cost:
            return None
        return (self.cost / customers).quantize(CENT, ROUND_HALF_UP)

    @property
    def value(self) -> Decimal:
        """What the customers won are worth: their predicted value where the value run
        has one, else what they have bought first."""
        return self.sums.clv or self.sums.first_order_revenue

    @property
    def roi(self) -> float | None:
        """(value − cost) ÷ cost."""
        if not self.cost:
            return None
        return float((self.value - self.cost) / self.cost)

    @property
    def roi_percent(self) -> float | None:
        roi = self.roi
        return None if roi is None else roi * 100

    def funnel(self) -> list[int]:
        c = self.sums.counts
        return [
            c["leads"],
            c["qualified"],
            c["lead_opportunities"],
            c["lead_won"],
            c["lead_repeat"],
        ]

    @property
    def funnel_steps(self) -> list[tuple[int, float | None]]:
        """Each step's count and its share of the leads (percent)."""
        steps = self.funnel()
        leads = steps[0]
        return [(n, n * 100 / leads if leads else None) for n in steps]


def funnel_labels() -> list[str]:
    return [_("线索"), _("合格"), _("商机"), _("赢单"), _("复购")]


@dataclass
class Comparison:
    span: Span
    rows: list[ChannelRow]
    total: ChannelRow
    summary: ChannelSummaryRun | None


def _label(span: Span, key: Key, campaigns: dict[int, str]) -> tuple[str, str]:
    _month, channel, campaign, _team = key
    if span.by == BY_CAMPAIGN:
        if campaign is None:
            return "", _("（无活动）")
        return str(campaign), campaigns.get(campaign, f"#{campaign}")
    return channel, str(
        SourceChannel(channel).label
    ) if channel in SourceChannel.values else channel


def _month_rows(span: Span) -> Iterable[ChannelMonth]:
    rows = ChannelMonth.objects.filter(month__gte=span.start, month__lte=span.end)
    if span.team_id is not None:
        rows = rows.filter(team_id=span.team_id)
    return rows


def _costs(span: Span) -> dict[str, Decimal]:
    """Cost by row key. A team's view carries no cost (costs are not per team)."""
    if span.team_id is not None:
        return {}
    rows = ChannelCost.objects.filter(month__gte=span.start, month__lte=span.end)
    column = "campaign_id" if span.by == BY_CAMPAIGN else "channel"
    return {
        ("" if key is None else str(key)): Decimal(total).quantize(CENT)
        for key, total in rows.values_list(column).annotate(total=Sum("amount")).order_by()
    }


def channel_comparison(span: Span) -> Comparison:
    summary = channel_summary_latest()
    sums = counted(_month_rows(span))
    for key, live in channel_sums_since(summary).items():
        if span.holds(key):
            sums.setdefault(key, Sums()).add(live)
    campaign_ids = {key[2] for key in sums if key[2] is not None}
    costs = _costs(span)
    campaign_ids |= {int(k) for k in costs if k and span.by == BY_CAMPAIGN}
    campaigns = dict(Campaign.objects.filter(pk__in=campaign_ids).values_list("pk", "name"))
    rows: dict[str, ChannelRow] = {}
    for key, found in sums.items():
        row_key, label = _label(span, key, campaigns)
        row = rows.setdefault(row_key, ChannelRow(row_key, label))
        row.sums.add(found)
    for row_key, cost in costs.items():
        if row_key not in rows:
            label = (
                campaigns.get(int(row_key), row_key)
                if span.by == BY_CAMPAIGN and row_key
                else _label(span, (span.start, row_key, None, None), campaigns)[1]
            )
            rows[row_key] = ChannelRow(row_key, label)
        rows[row_key].cost = cost
    ordered = sorted(rows.values(), key=lambda r: (-r.sums.counts["customers"], r.label))
    total = ChannelRow("", _("合计"))
    for row in ordered:
        total.sums.add(row.sums)
        total.cost += row.cost
    return Comparison(span=span, rows=ordered, total=total, summary=summary)
