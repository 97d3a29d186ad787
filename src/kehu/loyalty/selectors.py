"""Reads of members and the ledger, scoped by what the reader may see (the customer
itself goes through ``access_loyalty_customer`` first)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from kehu.accounts.models import User
from kehu.core.paging import QueryPage, query_page
from kehu.customers.models import Customer
from kehu.customers.selectors import PageOutOfRange
from kehu.loyalty.access import members_visible_to
from kehu.loyalty.models import Level, LevelBasis, Member, PointEntry


@dataclass(frozen=True)
class MemberCard:
    """What the card and the API show: the kept figures (one row), no sums."""

    member: Member | None
    level: Level | None
    next_level: Level | None
    referrer: Customer | None

    @property
    def balance(self) -> int:
        return self.member.balance if self.member else 0

    @property
    def owed(self) -> int:
        return self.member.owed if self.member else 0


def member_card(customer: Customer) -> MemberCard:
    """The member's balance, owed points and level: one indexed row read."""
    member = (
        Member.objects.select_related("level", "referred_by")
        .filter(customer_id=customer.pk)
        .first()
    )
    level = member.level if member else None
    next_level = None
    if member is not None:
        basis = str(settings.KEHU_LOYALTY_LEVEL_BASIS)
        levels = sorted(
            Level.objects.all(),
            key=lambda lv: (
                (lv.min_points, lv.min_spend)
                if basis == LevelBasis.POINTS
                else (lv.min_spend, lv.min_points)
            ),
        )
        index = next((i for i, lv in enumerate(levels) if level and lv.pk == level.pk), -1)
        next_level = levels[index + 1] if index + 1 < len(levels) else None
    return MemberCard(member, level, next_level, member.referred_by if member else None)


@dataclass(frozen=True)
class Standing:
    balance: int
    owed: int
    level: str | None
    discount_percent: Decimal | None


def member_standing(customer_id: int) -> Standing:
    """A member's balance, owed points and level: one read of the member row and its
    level by primary key (what a till or the API asks on every sale)."""
    row = (
        Member.objects.filter(customer_id=customer_id)
        .values_list("balance", "owed", "level__name", "level__discount_percent")
        .first()
    )
    return Standing(*row) if row else Standing(0, 0, None, None)


def member_ledger(customer: Customer, *, page: int = 1, page_size: int = 20) -> QueryPage[Any]:
    """The customer's ledger, newest first (raises ``PageOutOfRange``)."""
    rows = (
        PointEntry.objects.filter(customer_id=customer.pk)
        .select_related("order", "created_by", "referred")
        .order_by("-at", "-id")
    )
    found = query_page(rows, page, page_size)
    if found is None:
        raise PageOutOfRange
    return found


def member_referrals(user: User, customer: Customer, *, limit: int = 50) -> list[Member]:
    """The members this customer referred that the reader may see."""
    return list(
        members_visible_to(user)
        .filter(referred_by_id=customer.pk)
        .select_related("customer")
        .order_by("-joined_at")[:limit]
    )


def members_list(user: User, *, level_id: int | None = None, q: str = "") -> QuerySet[Member]:
    members = members_visible_to(user).select_related("customer", "level")
    if level_id:
        members = members.filter(level_id=level_id)
    if q:
        members = members.filter(customer__name__icontains=q.strip()) | members.filter(
            referral_code=q.strip().upper()
        )
    return members.order_by("-balance", "customer_id")
