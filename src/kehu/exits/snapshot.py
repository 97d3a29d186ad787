"""Writing exits in batches: what a customer was as it left, read for many at once.

The lifecycle engine can move 100,000 customers into a churned stage in one
evaluation; the ``stage_entered`` handler writes their exits inside its transaction.
Per chunk of customers this reads, in a handful of queries: the customers (owner, team,
source channel), which of them already have an open exit, their latest value scores,
their purchases (first purchase, the last 12 months' revenue), the products of their
last purchase, their refunds of the last 90 days — then inserts the exits, their
products and refunds, and queues the exit interviews, each with one statement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Min, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from kehu.core.sql import chunks, rows_insert, rows_insert_ids, values_in
from kehu.customers.models import Customer
from kehu.exits.models import ExitReason, ExitRecord, ExitSettings
from kehu.orders.models import PURCHASE_STATUSES, Order, OrderLine, Refund, cents
from kehu.surveys.services import invitations_queue
from kehu.value.models import CustomerValue
from kehu.value.selectors import run_latest_good

CHUNK = 5_000
REFUND_DAYS = 90  # refunds this close before the exit are linked to it
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ExitPlan:
    """What the caller knows of one exit; the rest is read here."""

    customer_id: int
    at: dt.datetime
    reason_id: int
    source: str
    created_by_id: int | None = None
    stage_change_id: int | None = None
    competitor: str = ""
    details: str = ""
    refund_ids: tuple[int, ...] | None = None  # None: the refunds of the last 90 days


def _value_rows(ids: Sequence[int]) -> dict[int, tuple[Decimal | None, int, str]]:
    run = run_latest_good()
    if run is None:
        return {}
    rows = CustomerValue.objects.filter(run=run, customer_id__in=values_in(ids, "int"))
    return {
        c: (clv, tier, group)
        for c, clv, tier, group in rows.values_list("customer_id", "clv", "tier", "segment")
    }


def _purchases(ids: Sequence[int], since: dt.datetime) -> dict[int, tuple[dt.datetime, Decimal]]:
    """customer id → (first purchase, net revenue of purchases since ``since``), summed
    by the database."""
    recent = Q(ordered_at__gte=since)
    rows = (
        Order.objects.filter(customer_id__in=values_in(ids, "int"), status__in=PURCHASE_STATUSES)
        .values("customer_id")
        .annotate(
            first=Min("ordered_at"),
            recent_revenue=Sum(F("total") - F("refunded_total"), filter=recent),
        )
        .order_by()
        .values_list("customer_id", "first", "recent_revenue")
    )
    return {c: (first, cents(Decimal(revenue or 0))) for c, first, revenue in rows}


def _last_products(ids: Sequence[int]) -> dict[int, set[int]]:
    last = (
        Order.objects.filter(customer_id=OuterRef("pk"), status__in=PURCHASE_STATUSES)
        .order_by("-ordered_at", "-id")
        .values("pk")[:1]
    )
    order_ids = dict(
        Customer.objects.filter(pk__in=values_in(ids, "int"))
        .annotate(last=Subquery(last))
        .filter(last__isnull=False)
        .values_list("last", "pk")
    )
    products: dict[int, set[int]] = {}
    if order_ids:
        lines = OrderLine.objects.filter(order_id__in=values_in(list(order_ids), "int"))
        for order_id, product_id in lines.values_list("order_id", "product_id"):
            products.setdefault(order_ids[order_id], set()).add(product_id)
    return products


def _recent_refunds(ids: Sequence[int], since: dt.datetime) -> dict[int, list[int]]:
    refunds: dict[int, list[int]] = {}
    rows = Refund.objects.filter(
        order__customer_id__in=values_in(ids, "int"), refunded_at__gte=since
    ).values_list("order__customer_id", "pk")
    for customer_id, refund_id in rows:
        refunds.setdefault(customer_id, []).append(refund_id)
    return refunds


def exit_settings() -> ExitSettings:
    found = ExitSettings.objects.select_related("survey").order_by("pk").first()
    return found or ExitSettings.objects.create()


def exits_create(plans: Sequence[ExitPlan]) -> list[int]:
    """Write the exits of ``plans`` (at most one per customer; customers with an open
    exit, deleted or unknown customers are skipped). The new exits' ids."""
    created: list[int] = []
    settings = exit_settings()
    by_customer = {plan.customer_id: plan for plan in plans}
    for part in chunks(sorted(by_customer), CHUNK):
        created += _chunk_create([by_customer[c] for c in part], settings)
    return created


def _chunk_create(plans: Sequence[ExitPlan], settings: ExitSettings) -> list[int]:
    ids = [plan.customer_id for plan in plans]
    busy = set(
        ExitRecord.objects.filter(
            customer_id__in=values_in(ids, "int"), won_back_at__isnull=True
        ).values_list("customer_id", flat=True)
    )
    customers = {
        pk: (owner, team, channel)
        for pk, owner, team, channel in Customer.objects.filter(
            pk__in=values_in(ids, "int"), deleted_at__isnull=True
        ).values_list("pk", "owner_id", "team_id", "source_channel")
    }
    plans = [p for p in plans if p.customer_id in customers and p.customer_id not in busy]
    if not plans:
        return []
    ids = [plan.customer_id for plan in plans]
    earliest = min(plan.at for plan in plans)
    values = _value_rows(ids)
    purchases = _purchases(ids, earliest - dt.timedelta(days=365))
    products = _last_products(ids)
    refunds = _recent_refunds(ids, earliest - dt.timedelta(days=REFUND_DAYS))
    invitations = _interviews(ids, settings, earliest)
    rows = []
    for plan in plans:
        owner, team, channel = customers[plan.customer_id]
        clv, tier, group = values.get(plan.customer_id, (None, None, ""))
        first, revenue = purchases.get(plan.customer_id, (None, ZERO))
        tenure = max(0, (plan.at - first).days) if first is not None else None
        rows.append(
            {
                "customer_id": plan.customer_id,
                "at": plan.at,
                "month": timezone.localtime(plan.at).date().replace(day=1),
                "reason_id": plan.reason_id,
                "competitor": plan.competitor,
                "details": plan.details,
                "source": plan.source,
                "stage_change_id": plan.stage_change_id,
                "value_before": clv if clv is not None else revenue,
                "clv": clv,
                "revenue_12m": revenue,
                "tier": tier,
                "value_group": group or "",
                "tenure_days": tenure,
                "owner_id": owner,
                "team_id": team,
                "channel": channel or "",
                "invitation_id": invitations.get(plan.customer_id),
                "created_by_id": plan.created_by_id,
                "updated_by_id": plan.created_by_id,
            }
        )
    exit_ids = rows_insert_ids(ExitRecord, rows)
    product_rows, refund_rows = [], []
    for exit_id, plan in zip(exit_ids, plans, strict=True):
        for product_id in sorted(products.get(plan.customer_id, ())):
            product_rows.append({"exitrecord_id": exit_id, "product_id": product_id})
        linked = plan.refund_ids
        if linked is None:
            linked = tuple(r for r in refunds.get(plan.customer_id, ()))
        for refund_id in linked:
            refund_rows.append({"exitrecord_id": exit_id, "refund_id": refund_id})
    rows_insert(ExitRecord.products.through, product_rows)
    rows_insert(ExitRecord.refunds.through, refund_rows)
    return exit_ids


def _interviews(ids: Sequence[int], settings: ExitSettings, at: dt.datetime) -> Mapping[int, int]:
    """Queue the exit interview for ``ids`` (delivered by the surveys' job)."""
    survey = settings.survey
    if survey is None or not survey.is_active:
        return {}
    return invitations_queue(
        survey=survey,
        customer_ids=ids,
        channel=settings.survey_channel,
        deliver_after=max(at, timezone.now()) + dt.timedelta(days=settings.survey_delay_days),
    )


def unknown_reason() -> ExitReason:
    found = ExitReason.objects.filter(key="unknown").first()
    if found is None:
        found, _created = ExitReason.objects.get_or_create(
            key="unknown", defaults={"name": "未知", "position": 99}
        )
    return found
