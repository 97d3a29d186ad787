"""Reads of opportunities, already scoped to what the actor may see: the board, the
list, one opportunity's history, a customer's opportunities."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, Count, QuerySet, Sum, Value, When
from django.urls import reverse
from django.utils import timezone

from kehu.accounts.models import User
from kehu.core.money import money_display
from kehu.core.paging import QueryPage, query_page
from kehu.customers.models import Customer
from kehu.pipeline.access import ChangeRule, opportunities_visible_to
from kehu.pipeline.models import Opportunity, Phase, PhaseChange, Status

BOARD_COLUMN_LIMIT = 200  # cards per column; the rest are counted and in the list
CARD_COLUMNS = (
    "id",
    "name",
    "amount",
    "probability",
    "expected_close_date",
    "last_activity_at",
    "owner_id",
    "team_id",
    "customer__name",
    "owner__username",
    "owner__display_name",
    "version",
)


@dataclass(frozen=True)
class Scope:
    """Whose opportunities: an owner, a team, or (both None) all the actor sees."""

    owner_id: int | None = None
    team_id: int | None = None


@dataclass(frozen=True, slots=True)
class Card:
    """What a card on the board shows, ready to print: a board of 500 cards renders
    without a lookup, a filter or a URL reversal per card."""

    pk: int
    name: str
    customer: str
    owner: str
    amount_text: str
    amount: Decimal
    weighted: Decimal
    probability: int
    close: str
    url: str
    stale: bool
    movable: bool
    version: int = 0  # what a drop on 赢单 names (a change made meanwhile is refused)


def _card_url(pk: int) -> str:
    return reverse("pipeline:detail", args=[pk])


def card_of(opportunity: Opportunity, *, stale: bool, movable: bool, url: str = "") -> Card:
    """The card of one opportunity (the answer to a drop)."""
    amount = opportunity.amount
    probability = opportunity.effective_probability
    owner = opportunity.owner.label if opportunity.owner else ""
    return Card(
        pk=opportunity.pk,
        name=opportunity.name,
        customer=opportunity.customer.name,
        owner=owner,
        amount_text=money_display(amount) if amount is not None else "—",
        amount=amount or Decimal(0),
        weighted=(amount or Decimal(0)) * probability / 100,
        probability=probability,
        close=opportunity.expected_close_date.isoformat()
        if opportunity.expected_close_date
        else "",
        url=url or _card_url(opportunity.pk),
        stale=stale,
        movable=movable,
        version=opportunity.version,
    )


@dataclass
class Column:
    phase: Phase
    cards: list[Card] = field(default_factory=list)
    count: int = 0
    amount: Decimal = Decimal("0.00")
    weighted: Decimal = Decimal("0.00")

    @property
    def more(self) -> int:
        return self.count - len(self.cards)


def _scoped(actor: User, scope: Scope) -> QuerySet[Opportunity]:
    rows = opportunities_visible_to(actor)
    if scope.owner_id is not None:
        rows = rows.filter(owner_id=scope.owner_id)
    if scope.team_id is not None:
        rows = rows.filter(team_id=scope.team_id)
    return rows


def board(actor: User, scope: Scope, *, limit: int = BOARD_COLUMN_LIMIT) -> list[Column]:
    """The open opportunities in ``scope`` by phase: per column its count, amount and
    weighted amount (all of them) and up to ``limit`` cards, soonest close first."""
    phases = list(Phase.objects.filter(is_active=True).order_by("position", "id"))
    columns = {phase.pk: Column(phase) for phase in phases}
    open_rows = _scoped(actor, scope).filter(status=Status.OPEN, phase__is_active=True)
    totals = (
        open_rows.values("phase_id", "probability", "phase__probability")
        .annotate(n=Count("id"), amount=Sum("amount"))
        .order_by()
    )
    for row in totals:
        column = columns[row["phase_id"]]
        amount = row["amount"] or Decimal("0.00")
        probability = row["probability"]
        if probability is None:
            probability = row["phase__probability"]
        column.count += row["n"]
        column.amount += amount
        column.weighted += amount * probability / 100
    stale_before = timezone.now() - dt.timedelta(days=settings.KEHU_OPPORTUNITY_STALE_DAYS)
    movable = ChangeRule(actor)
    # The detail URL of card 0, its id swapped per card (one reversal for the board).
    url_zero = _card_url(0)
    head, tail = url_zero.rsplit("/0/", 1)
    for column in columns.values():
        column.weighted = column.weighted.quantize(Decimal("0.01"))
        if not column.count:
            continue
        default = column.phase.probability
        rows = (
            open_rows.filter(phase_id=column.phase.pk)
            .order_by("expected_close_date", "id")
            .values_list(*CARD_COLUMNS)[:limit]
        )
        for pk, name, amount, chance, close, activity, owner_id, team_id, *names in rows:
            customer, username, display, version = names
            probability = default if chance is None else chance
            column.cards.append(
                Card(
                    pk=pk,
                    name=name,
                    customer=customer,
                    owner=display or username or "",
                    amount_text=money_display(amount) if amount is not None else "—",
                    amount=amount or Decimal(0),
                    weighted=(amount or Decimal(0)) * probability / 100,
                    probability=probability,
                    close=close.isoformat() if close else "",
                    url=f"{head}/{pk}/{tail}",
                    stale=activity < stale_before,
                    movable=movable.allows(owner_id, team_id),
                    version=version,
                )
            )
    return list(columns.values())


@dataclass(frozen=True)
class ListFilters:
    scope: Scope = Scope()
    status: str = Status.OPEN  # "" for every status
    phase_id: int | None = None
    customer_id: int | None = None
    q: str = ""


def opportunity_list(actor: User, filters: ListFilters, *, page: int = 1) -> QueryPage | None:
    rows = _scoped(actor, filters.scope)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.phase_id is not None:
        rows = rows.filter(phase_id=filters.phase_id)
    if filters.customer_id is not None:
        rows = rows.filter(customer_id=filters.customer_id)
    if filters.q:
        rows = rows.filter(name__icontains=filters.q)
    rows = rows.select_related("customer", "phase", "owner", "team", "loss_reason").order_by("-id")
    return query_page(rows, page, settings.KEHU_PAGE_SIZE)


def opportunity_history(opportunity: Opportunity) -> list[PhaseChange]:
    return list(
        opportunity.phase_changes.select_related("from_phase", "to_phase", "actor").order_by(
            "at", "id"
        )
    )


def customer_opportunities(
    actor: User, customer: Customer, *, limit: int = 10
) -> list[Opportunity]:
    """The customer's opportunities the actor may see, open first, newest first."""
    open_first = Case(When(status=Status.OPEN, then=Value(0)), default=Value(1))
    rows = (
        opportunities_visible_to(actor)
        .filter(customer=customer)
        .select_related("phase", "owner")
        .order_by(open_first, "-id")
    )
    return list(rows[:limit])
