"""The nightly passes: points past their expiry taken off (oldest first), the kept
12-month figures and levels brought up to date, and the kept balances checked against
the ledger (any difference reported, never silently fixed)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.sql import chunks, values_in
from kehu.loyalty import ledger
from kehu.loyalty.models import EntryKind, Member, PointEntry

logger = logging.getLogger(__name__)
BATCH = 500
WINDOW = dt.timedelta(days=365)


@dataclass
class ExpiryResult:
    members: int = 0
    points: int = 0


def points_expire(*, now: dt.datetime | None = None) -> ExpiryResult:
    """Take off what is left of earns and grants whose expiry has passed: one expire
    entry per source entry (naming its order or reason), members locked in batches."""
    moment = now or timezone.now()
    due = (
        PointEntry.objects.filter(remaining__gt=0, expires_at__lte=moment)
        .order_by("customer_id")
        .values_list("customer_id", flat=True)
        .distinct()
    )
    result = ExpiryResult()
    for batch in chunks(list(due), BATCH):
        with transaction.atomic():
            members = ledger.members_lock_many(batch, moment)
            sources = list(
                PointEntry.objects.filter(
                    customer_id__in=values_in(list(batch), "int"),
                    remaining__gt=0,
                    expires_at__lte=moment,
                ).order_by("expires_at", "at", "id")
            )
            entries = []
            for source in sources:
                member = members[source.customer_id]
                member.balance -= source.remaining
                result.points += source.remaining
                entries.append(
                    PointEntry(
                        customer_id=source.customer_id,
                        amount=-source.remaining,
                        kind=EntryKind.EXPIRE,
                        order_id=source.order_id,
                        reason=(_("积分过期：%(reason)s") % {"reason": source.reason})
                        if source.reason
                        else _("积分过期"),
                        at=moment,
                    )
                )
            ledger.remaining_update([(0, s.pk) for s in sources])
            PointEntry.objects.bulk_create(entries)
            ledger.members_save(members.values(), moment)
            result.members += len(members)
    return result


@dataclass
class CheckResult:
    members: int = 0
    differences: int = 0
    examples: list[dict[str, int]] = field(default_factory=list)


def ledger_check() -> CheckResult:
    """Every member's kept balance and owed points against the sum of the ledger: the
    net (``balance - owed``) against the sum of amounts, the balance against what is
    left of earns and grants. Differences are counted, logged and a few returned."""
    member = Member._meta.db_table
    entry = PointEntry._meta.db_table
    sql = (
        f"SELECT m.customer_id, m.balance, m.owed, COALESCE(s.net, 0), COALESCE(s.rem, 0) "
        f"FROM {member} m LEFT JOIN (SELECT customer_id, SUM(amount) AS net, "
        f"SUM(remaining) AS rem FROM {entry} GROUP BY customer_id) s "
        "ON s.customer_id = m.customer_id "
        "WHERE m.balance - m.owed <> COALESCE(s.net, 0) OR m.balance <> COALESCE(s.rem, 0)"
    )
    result = CheckResult(members=Member.objects.count())
    with connection.cursor() as cursor:
        cursor.execute(sql)
        for customer_id, balance, owed, net, remaining in cursor.fetchall():
            result.differences += 1
            if len(result.examples) < 20:
                result.examples.append(
                    {
                        "customer_id": customer_id,
                        "balance": balance,
                        "owed": owed,
                        "ledger_net": int(net),
                        "ledger_remaining": int(remaining),
                    }
                )
    if result.differences:
        logger.error(
            "loyalty ledger check: %d members differ: %s", result.differences, result.examples
        )
    return result


def members_refresh(*, now: dt.datetime | None = None) -> int:
    """Bring the kept 12-month points and spend (from the ledger) and the level up to
    date for every member; returns how many changed."""
    moment = now or timezone.now()
    since = moment - WINDOW
    recent = {
        customer_id: (int(points or 0), spend or Decimal("0.00"))
        for customer_id, points, spend in PointEntry.objects.filter(
            Q(kind=EntryKind.EARN) | Q(kind=EntryKind.REVERSE), at__gte=since
        )
        .order_by()
        .values("customer_id")
        .annotate(points=Sum("amount"), spend=Sum("spend"))
        .values_list("customer_id", "points", "spend")
    }
    levels = ledger.levels_all()
    changed: list[Member] = []
    for member in Member.objects.order_by("customer_id").iterator(chunk_size=2000):
        points, spend = recent.get(member.customer_id, (0, Decimal("0.00")))
        level = ledger.level_for(points, spend, levels)
        level_id = level.pk if level else None
        if (member.points_12m, member.spend_12m, member.level_id) != (points, spend, level_id):
            member.points_12m, member.spend_12m, member.level_id = points, spend, level_id
            changed.append(member)
    for batch in chunks(changed, BATCH):
        with transaction.atomic():
            fresh = ledger.members_lock_many([m.customer_id for m in batch], moment)
            for member in batch:
                kept = fresh[member.customer_id]
                kept.points_12m, kept.spend_12m = member.points_12m, member.spend_12m
                kept.level_id = member.level_id
            ledger.members_save(fresh.values(), moment, levels)
    return len(changed)
