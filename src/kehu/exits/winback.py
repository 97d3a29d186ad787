"""The win-back list (赢回名单): exited customers worth winning back — an open exit
(not won back), a reason that can be addressed (not 停业/倒闭 or 坏账), a value before
leaving of at least the settings' minimum — and the win-back rate over time.

The list is also an audience (``?winback=1`` on the customer list, its export and a
campaign): ``winback_audience`` answers its filter over Customer rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.days import day_end, day_start
from kehu.customers.audiences import Audience
from kehu.exits.access import exits_counted_for, exits_visible_to
from kehu.exits.models import ExitRecord
from kehu.exits.snapshot import exit_settings


@dataclass(frozen=True)
class WinbackFilters:
    reason: int | None = None
    tier: int | None = None
    owner: int | None = None
    min_value: Decimal | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    def params(self) -> dict[str, str]:
        return {k: str(v) for k, v in vars(self).items() if v is not None}


def winback_q(min_value: Decimal | None = None) -> Q:
    """A filter over ExitRecord fields: exits worth winning back."""
    floor = exit_settings().winback_min_value if min_value is None else min_value
    return Q(won_back_at__isnull=True, reason__addressable=True, value_before__gte=floor)


def winback_exits(user: User, filters: WinbackFilters | None = None) -> QuerySet[ExitRecord]:
    """The exits worth winning back that ``user`` may see, most valuable first."""
    f = filters or WinbackFilters()
    rows = exits_visible_to(user).filter(winback_q(f.min_value))
    if f.reason:
        rows = rows.filter(reason_id=f.reason)
    if f.tier:
        rows = rows.filter(tier=f.tier)
    if f.owner:
        rows = rows.filter(customer__owner_id=f.owner)
    if f.since:
        rows = rows.filter(at__gte=day_start(f.since))
    if f.until:
        rows = rows.filter(at__lt=day_end(f.until))
    return rows.order_by("-value_before", "id")


def winback_audience(user: User, pk: int) -> Audience:
    """``?winback=1``: the customers of the win-back list (the user's visibility is
    applied by the list itself). Only ``1`` names an audience."""
    if pk != 1 or not user.is_active:
        raise Http404
    open_exits = ExitRecord.objects.filter(winback_q()).values("customer_id")
    return Audience(_("赢回名单"), Q(pk__in=open_exits))


@dataclass
class RateMonth:
    month: dt.date
    exits: int
    won_back: int

    @property
    def rate(self) -> float | None:
        return self.won_back / self.exits if self.exits else None


@dataclass
class WinbackRate:
    months: list[RateMonth] = field(default_factory=list)
    exits: int = 0
    won_back: int = 0

    @property
    def rate(self) -> float | None:
        return self.won_back / self.exits if self.exits else None


def winback_rate(user: User, *, months: int = 12, today: dt.date | None = None) -> WinbackRate:
    """Per month of exit (the last ``months``): exits of addressable reasons and how
    many of them were won back since."""
    from django.utils import timezone

    today = today or timezone.localdate()
    first = today.replace(day=1)
    for _step in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    rows = (
        exits_counted_for(user)
        .filter(month__gte=first, reason__addressable=True)
        .values("month")
        .annotate(n=Count("id"), won=Count("id", filter=Q(won_back_at__isnull=False)))
        .order_by("month")
    )
    counts = {_day(r["month"]): (r["n"], r["won"]) for r in rows}
    result = WinbackRate()
    month = first
    while month <= today:
        n, won = counts.get(month, (0, 0))
        result.months.append(RateMonth(month, n, won))
        result.exits += n
        result.won_back += won
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return result


def _day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
