"""The nightly pass: ``ChannelMonth`` rows from the customers and leads created in the
last months (``channel_months_refresh``), and the same sums for the records created
since, which the pages add live (``channel_sums``).

A customer counts in the month it was created (in the business's time zone), under its
source channel, the campaign of the (first) lead it came from, and its team: whether it has
bought (its first purchase's amount), its predicted value (the latest value run's CLV)
and whether it bought again. A lead counts in the month it came in, under its own
channel, campaign and team, with how far it went: verified, qualified, converted, its
customer with an opportunity, a won one, a second purchase.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from kehu.channels.models import ChannelMonth, ChannelSummaryRun
from kehu.customers.models import Customer
from kehu.leads.models import Lead
from kehu.orders.models import PURCHASE_STATUSES, Order
from kehu.pipeline.models import Opportunity, Status
from kehu.value.models import CustomerValue
from kehu.value.selectors import run_latest_good

MONTHS = 13  # the nightly pass rewrites this many months (a first order comes late)

Key = tuple[dt.date, str, int | None, int | None]  # month, channel, campaign, team
LEAD_FIELDS = (
    "leads",
    "verified",
    "qualified",
    "converted",
    "lead_opportunities",
    "lead_won",
    "lead_repeat",
)
CUSTOMER_FIELDS = ("customers", "buyers", "repeat_buyers")
COUNT_FIELDS = (*LEAD_FIELDS, *CUSTOMER_FIELDS)
MONEY_FIELDS = ("first_order_revenue", "clv")


@dataclass
class Sums:
    """The counts and amounts of one key (or of many added together)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_FIELDS, 0))
    first_order_revenue: Decimal = Decimal("0")
    clv: Decimal = Decimal("0")

    def add(self, other: Sums) -> None:
        for name, value in other.counts.items():
            self.counts[name] += value
        self.first_order_revenue += other.first_order_revenue
        self.clv += other.clv

    def get(self, name: str) -> Any:
        return getattr(self, name) if name in MONEY_FIELDS else self.counts[name]


def month_of(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date().replace(day=1)


def months_back(today: dt.date, months: int) -> dt.date:
    """The first day of the month ``months - 1`` months before ``today``'s."""
    index = today.year * 12 + today.month - 1 - (months - 1)
    return dt.date(index // 12, index % 12 + 1, 1)


def _purchases() -> QuerySet[Order]:
    return Order.objects.filter(customer_id=OuterRef("pk"), status__in=PURCHASE_STATUSES)


def _customer_rows(customers: QuerySet[Customer]) -> Iterable[tuple[Any, ...]]:
    run = run_latest_good()
    first = _purchases().order_by("ordered_at", "id").values("total")[:1]
    second = _purchases().order_by("ordered_at", "id").values("pk")[1:2]
    clv = CustomerValue.objects.filter(customer_id=OuterRef("pk"), run_id=run.pk if run else 0)
    # A customer several leads became counts under the campaign of the first.
    first_lead = Lead.objects.filter(customer_id=OuterRef("pk")).order_by("converted_at", "id")
    return (
        customers.filter(deleted_at__isnull=True, merged_into__isnull=True)
        .annotate(
            first_total=Subquery(first),
            again=Exists(second),
            value=Subquery(clv.values("clv")[:1]),
            campaign=Subquery(first_lead.values("campaign_id")[:1]),
        )
        .values_list(
            "created_at", "source_channel", "campaign", "team_id", "first_total", "again", "value"
        )
        .iterator(chunk_size=5000)
    )


def _lead_rows(leads: QuerySet[Lead]) -> Iterable[tuple[Any, ...]]:
    opportunities = Opportunity.objects.filter(
        customer_id=OuterRef("customer_id"), deleted_at__isnull=True
    )
    again = Order.objects.filter(
        customer_id=OuterRef("customer_id"), status__in=PURCHASE_STATUSES
    ).values("pk")[1:2]
    return (
        leads.filter(deleted_at__isnull=True)
        .annotate(
            has_opportunity=Exists(opportunities),
            has_won=Exists(opportunities.filter(status=Status.WON)),
            bought_again=Exists(again),
        )
        .values_list(
            "created_at",
            "source_channel",
            "campaign_id",
            "team_id",
            "verified_at",
            "qualified_at",
            "converted_at",
            "has_opportunity",
            "has_won",
            "bought_again",
        )
        .iterator(chunk_size=5000)
    )


def channel_sums(customers: QuerySet[Customer], leads: QuerySet[Lead]) -> dict[Key, Sums]:
    """The sums of these customers and leads, by month, channel, campaign and team."""
    sums: dict[Key, Sums] = {}

    def at(key: Key) -> Sums:
        found = sums.get(key)
        if found is None:
            found = sums[key] = Sums()
        return found

    for created, channel, campaign, team, first_total, again, value in _customer_rows(customers):
        row = at((month_of(created), channel or "", campaign, team))
        row.counts["customers"] += 1
        if first_total is not None:
            row.counts["buyers"] += 1
            row.first_order_revenue += first_total
        if again:
            row.counts["repeat_buyers"] += 1
        if value is not None:
            row.clv += value
    for (
        created,
        channel,
        campaign,
        team,
        verified,
        qualified,
        converted,
        has_opportunity,
        has_won,
        bought_again,
    ) in _lead_rows(leads):
        counts = at((month_of(created), channel or "", campaign, team)).counts
        counts["leads"] += 1
        counts["verified"] += verified is not None
        counts["qualified"] += qualified is not None
        if converted is not None:
            counts["converted"] += 1
            counts["lead_opportunities"] += has_opportunity
            counts["lead_won"] += has_won
            counts["lead_repeat"] += bought_again
    return sums


def _created_since(start: dt.date) -> Q:
    moment = timezone.make_aware(dt.datetime.combine(start, dt.time()))
    return Q(created_at__gte=moment)


@transaction.atomic
def channel_months_refresh(
    *, months: int = MONTHS, today: dt.date | None = None
) -> ChannelSummaryRun:
    """Rewrite the ``ChannelMonth`` rows of the last ``months`` months (all months
    with ``months=0``)."""
    started = time.perf_counter()
    today = today or timezone.localdate()
    start = months_back(today, months) if months else dt.date(1970, 1, 1)
    last_customer = Customer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_lead = Lead.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    since = _created_since(start)
    sums = channel_sums(
        Customer.objects.filter(since, pk__lte=last_customer),
        Lead.objects.filter(since, pk__lte=last_lead),
    )
    ChannelMonth.objects.filter(month__gte=start).delete()
    ChannelMonth.objects.bulk_create(
        (
            ChannelMonth(
                month=month,
                channel=channel,
                campaign_id=campaign,
                team_id=team,
                first_order_revenue=row.first_order_revenue,
                clv=row.clv,
                **row.counts,
            )
            for (month, channel, campaign, team), row in sums.items()
        ),
        batch_size=1000,
    )
    return ChannelSummaryRun.objects.create(
        finished_at=timezone.now(),
        months_from=start,
        last_customer_id=last_customer,
        last_lead_id=last_lead,
        rows=len(sums),
        seconds=round(time.perf_counter() - started, 3),
    )


def channel_summary_latest() -> ChannelSummaryRun | None:
    return ChannelSummaryRun.objects.first()


def channel_sums_since(run: ChannelSummaryRun | None) -> dict[Key, Sums]:
    """The customers and leads created after the last nightly pass read, live; before
    the first pass, all of them."""
    if run is None:
        return channel_sums(Customer.objects.all(), Lead.objects.all())
    return channel_sums(
        Customer.objects.filter(pk__gt=run.last_customer_id),
        Lead.objects.filter(pk__gt=run.last_lead_id),
    )


def counted(rows: Iterable[ChannelMonth]) -> dict[Key, Sums]:
    """``ChannelMonth`` rows as sums by key."""
    out: dict[Key, Sums] = {}
    for row in rows:
        sums = Sums(
            counts={name: getattr(row, name) for name in COUNT_FIELDS},
            first_order_revenue=row.first_order_revenue,
            clv=row.clv,
        )
        key = (row.month, row.channel, row.campaign_id, row.team_id)
        out.setdefault(key, Sums()).add(sums)
    return out
