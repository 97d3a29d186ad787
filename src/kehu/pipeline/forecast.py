"""The sales forecast (销售预测): the open opportunities' weighted amount — amount ×
probability — by month of expected close, by owner and by team.

One grouped query (month, owner, team, probability → count, amount); the weighting is
done here in ``Decimal`` so SQLite and PostgreSQL give the same cents.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import Coalesce, TruncMonth

from kehu.accounts.models import Team, User
from kehu.pipeline.access import opportunities_visible_to
from kehu.pipeline.models import Status
from kehu.pipeline.selectors import Scope

CENT = Decimal("0.01")


@dataclass
class Bucket:
    key: str  # "2026-12", an owner's or a team's id, "" for none
    label: str = ""
    count: int = 0
    amount: Decimal = Decimal("0.00")
    weighted: Decimal = Decimal("0.00")


@dataclass
class Forecast:
    months: list[Bucket] = field(default_factory=list)  # by month; "" last: no date
    owners: list[Bucket] = field(default_factory=list)
    teams: list[Bucket] = field(default_factory=list)
    total: Bucket = field(default_factory=lambda: Bucket("total"))


def _add(bucket: Bucket, count: int, amount: Decimal, weighted: Decimal) -> None:
    bucket.count += count
    bucket.amount += amount
    bucket.weighted += weighted


def forecast(
    actor: User,
    scope: Scope | None = None,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Forecast:
    """The open opportunities the actor sees in ``scope``, expected to close between
    ``start`` and ``end`` (inclusive; None: open-ended; without a date they count only
    when neither bound is given)."""
    scope = scope or Scope()
    rows = opportunities_visible_to(actor).filter(status=Status.OPEN)
    if scope.owner_id is not None:
        rows = rows.filter(owner_id=scope.owner_id)
    if scope.team_id is not None:
        rows = rows.filter(team_id=scope.team_id)
    if start is not None:
        rows = rows.filter(expected_close_date__gte=start)
    if end is not None:
        rows = rows.filter(expected_close_date__lte=end)
    grouped = (
        rows.annotate(
            month=TruncMonth("expected_close_date"),
            chance=Coalesce("probability", "phase__probability"),
        )
        .values("month", "owner_id", "team_id", "chance")
        .annotate(n=Count("id"), amount=Sum("amount"))
        .order_by()
    )
    months: dict[str, Bucket] = {}
    owners: dict[int | None, Bucket] = {}
    teams: dict[int | None, Bucket] = {}
    result = Forecast()
    for row in grouped:
        n, amount = row["n"], row["amount"] or Decimal("0.00")
        weighted = amount * row["chance"] / 100
        month = f"{row['month']:%Y-%m}" if row["month"] else ""
        owner_id, team_id = row["owner_id"], row["team_id"]
        _add(months.setdefault(month, Bucket(month, month)), n, amount, weighted)
        _add(owners.setdefault(owner_id, Bucket(str(owner_id or ""))), n, amount, weighted)
        _add(teams.setdefault(team_id, Bucket(str(team_id or ""))), n, amount, weighted)
        _add(result.total, n, amount, weighted)
    result.months = sorted(months.values(), key=lambda b: (b.key == "", b.key))
    owner_names = {
        user.pk: user.label for user in User.objects.filter(pk__in=[k for k in owners if k])
    }
    team_names = dict(Team.objects.filter(pk__in=[k for k in teams if k]).values_list("pk", "name"))
    result.owners = _ranked(owners, owner_names)
    result.teams = _ranked(teams, team_names)
    for bucket in (*result.months, *result.owners, *result.teams, result.total):
        bucket.amount = bucket.amount.quantize(CENT)
        bucket.weighted = bucket.weighted.quantize(CENT)
    return result


def _ranked(buckets: dict[int | None, Bucket], names: dict[int, str]) -> list[Bucket]:
    """Largest weighted amount first; a bucket without owner (team) has no label."""
    for key, bucket in buckets.items():
        bucket.label = names.get(key, "") if key is not None else ""
    return sorted(buckets.values(), key=lambda b: (-b.weighted, b.label))
