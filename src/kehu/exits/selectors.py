"""Reads of exits, scoped to what the reader may see: a customer's exits (its card),
the list with filters (the page, the API, the command), the taxonomy, the policy."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from kehu.accounts.models import User
from kehu.core.days import day_end, day_start
from kehu.customers.models import Customer
from kehu.exits.access import exits_visible_to
from kehu.exits.models import ExitReason, ExitRecord, ExitSource
from kehu.exits.snapshot import exit_settings
from kehu.orders.models import Refund
from kehu.orders.policy import RefundPolicy


@dataclass(frozen=True)
class ExitFilters:
    reason: int | None = None
    source: str = ""
    customer: int | None = None
    owner: int | None = None
    won_back: bool | None = None
    since: dt.date | None = None
    until: dt.date | None = None


def exit_list(user: User, filters: ExitFilters | None = None) -> QuerySet[ExitRecord]:
    """The exits ``user`` may see, newest first, filtered."""
    f = filters or ExitFilters()
    rows = exits_visible_to(user)
    if f.reason:
        rows = rows.filter(reason_id=f.reason)
    if f.source in ExitSource.values:
        rows = rows.filter(source=f.source)
    if f.customer:
        rows = rows.filter(customer_id=f.customer)
    if f.owner:
        rows = rows.filter(customer__owner_id=f.owner)
    if f.won_back is not None:
        rows = rows.filter(won_back_at__isnull=not f.won_back)
    if f.since:
        rows = rows.filter(at__gte=day_start(f.since))
    if f.until:
        rows = rows.filter(at__lt=day_end(f.until))
    return rows.select_related("customer", "reason", "owner").order_by("-at", "-id")


def with_links(rows: QuerySet[ExitRecord]) -> QuerySet[ExitRecord]:
    return rows.prefetch_related(
        Prefetch(
            "refunds", queryset=Refund.objects.select_related("order").order_by("refunded_at")
        ),
        "products",
    )


def customer_exits(user: User, customer: Customer) -> list[ExitRecord]:
    """The customer's exits, newest first (its card shows them)."""
    rows = (
        exits_visible_to(user)
        .filter(customer=customer)
        .select_related("reason", "created_by", "won_back_order", "invitation")
    )
    return list(with_links(rows).order_by("-at", "-id")[:10])


def customer_refunds(customer: Customer, limit: int = 50) -> list[Refund]:
    """The customer's refunds, newest first (to link to an exit)."""
    return list(
        Refund.objects.filter(order__customer=customer)
        .select_related("order")
        .order_by("-refunded_at", "-id")[:limit]
    )


def reasons_active() -> list[ExitReason]:
    return list(ExitReason.objects.filter(is_active=True).order_by("position", "id"))


def reasons_all() -> list[ExitReason]:
    return list(ExitReason.objects.select_related("updated_by").order_by("position", "id"))


def reason_find(value: object) -> ExitReason | None:
    """An active reason by id or key (the API and the command take either)."""
    text = str(value or "").strip()
    rows = ExitReason.objects.filter(is_active=True)
    if text.isdigit():
        return rows.filter(pk=int(text)).first()
    return rows.filter(key=text).first() or rows.filter(name=text).first()


def refund_policy_text() -> RefundPolicy:
    """The policy texts for the order page (registered with orders)."""
    settings = exit_settings()
    return RefundPolicy(refund=settings.refund_policy, returns=settings.return_policy)
