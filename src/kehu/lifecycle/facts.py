"""A customer's facts for the lifecycle rules, for a few customers or for all of them.

Read below the ORM: raw rows through a bare cursor, in customer-id order, folded into
each customer's facts in one pass (``ENVIRONMENT.md``: building model instances or a
SQL ``GROUP BY`` costs several times more at 10M orders). The same code serves the
order just recorded (one customer, a handful of queries) and the full recompute (id
ranges of a few thousand customers, so memory stays flat).

- Orders that count as purchases: paid and partially refunded ones, ordered at or
  before ``now`` (an evaluation "as of" a past date sees only what had happened).
  Revenue is net of refunds; profit is revenue − cost, unknown when any counted
  order's cost is unknown.
- ``median_gap_days``: the median of the gaps between purchase days (local dates;
  orders on the same day count once), unknown with fewer than two purchase days.
- Complaints (open, and open with severity high/critical), the latest satisfaction,
  the last interaction, tags and flags are read as they are now.
- Money facts are yuan as floats built from integer cents (exact to the cent).
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from kehu.complaints.models import Complaint, Severity
from kehu.complaints.models import Status as ComplaintStatus
from kehu.core.sql import chunks, values_in
from kehu.customers.models import Customer
from kehu.lifecycle.models import CustomerFlag
from kehu.lifecycle.rules import WINDOWS
from kehu.orders.models import Order, OrderStatus
from kehu.surveys.models import Satisfaction

DAY = 86400.0
PURCHASE_STATUSES = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)
SEVERE = (Severity.HIGH, Severity.CRITICAL)
IN_CHUNK = 900  # SQLite's variable limit, with room


@dataclass(slots=True)
class CustomerFacts:
    customer_id: int
    facts: dict[str, Any]
    # When each counted purchase was made (epoch seconds, ascending): the engine
    # counts those after the customer entered its current stage.
    purchases: list[float] = field(default_factory=list)


def _timestamp(value: Any) -> float | None:
    """A time from a raw cursor (SQLite: UTC text; PostgreSQL: aware datetime)."""
    if value is None:
        return None
    if isinstance(value, str):
        parsed = dt.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return parsed.timestamp()
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            value = value.replace(tzinfo=dt.UTC)
        return value.timestamp()
    return float(value)


def _cents(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, Decimal):
        return int((value * 100).to_integral_value())
    return round(float(value) * 100)


def _days(now: float, then: float | None) -> int | None:
    if then is None:
        return None
    return int((now - then) // DAY)


def _local_offset(now: dt.datetime) -> float:
    offset = timezone.localtime(now).utcoffset()
    return offset.total_seconds() if offset else 0.0


class _Fold:
    """Folds one customer's purchase rows (any order) into its facts."""

    __slots__ = (
        "count",
        "days",
        "first",
        "last",
        "profit",
        "profit_known",
        "revenue",
        "times",
        "windows",
    )

    def __init__(self) -> None:
        self.count = 0
        self.revenue = 0
        self.profit = 0
        self.profit_known = True
        self.windows = [[0, 0, True] for _n in WINDOWS]
        self.times: list[float] = []
        self.days: set[int] = set()
        self.first = self.last = 0.0

    def add(
        self,
        at: float,
        seen: float,
        total: Any,
        refunded: Any,
        cost: Any,
        now: float,
        offset: float,
    ) -> None:
        net = _cents(total) - _cents(refunded)
        profit = None if cost is None else net - _cents(cost)
        self.revenue += net
        if profit is None:
            self.profit_known = False
        else:
            self.profit += profit
        age = now - at
        for index, n in enumerate(WINDOWS):
            if age <= n * DAY:
                window = self.windows[index]
                window[0] += net
                if profit is None:
                    window[2] = False
                else:
                    window[1] += profit
        self.times.append(seen)
        if not self.count or at < self.first:
            self.first = at
        if not self.count or at > self.last:
            self.last = at
        self.days.add(int((at + offset) // DAY))
        self.count += 1

    def facts(self, now: float) -> tuple[dict[str, Any], list[float]]:
        times = sorted(self.times)
        days = sorted(self.days)
        gaps = [b - a for a, b in itertools.pairwise(days)]
        facts: dict[str, Any] = {
            "orders_count": self.count,
            "revenue_total": self.revenue / 100,
            "profit_total": self.profit / 100 if self.profit_known and self.count else None,
            "days_since_first_order": _days(now, self.first) if self.count else None,
            "days_since_last_order": _days(now, self.last) if self.count else None,
            "median_gap_days": statistics.median(gaps) if gaps else None,
        }
        if not self.count:
            facts["profit_total"] = 0.0
        for index, n in enumerate(WINDOWS):
            revenue, profit, known = self.windows[index]
            facts[f"revenue_{n}d"] = revenue / 100
            facts[f"profit_{n}d"] = profit / 100 if known else None
        return facts, times


def _order_rows(ids: Sequence[int] | None, low: int, high: int) -> Iterator[tuple[Any, ...]]:
    """(customer_id, ordered_at, total, refunded_total, cost, created_at) of purchases."""
    table = connection.ops.quote_name(Order._meta.db_table)
    statuses = ", ".join(f"'{status}'" for status in PURCHASE_STATUSES)
    select = (
        f"SELECT customer_id, ordered_at, total, refunded_total, cost, created_at FROM {table} "
        f"WHERE status IN ({statuses}) AND "
    )
    with connection.cursor() as cursor:
        if ids is None:
            cursor.execute(
                select + "customer_id >= %s AND customer_id < %s ORDER BY customer_id",
                [low, high],
            )
            yield from cursor.fetchall()
            return
        for chunk in chunks(ids, IN_CHUNK):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(select + f"customer_id IN ({marks})", list(chunk))
            yield from cursor.fetchall()


def _side_facts(
    ids: Sequence[int], now: dt.datetime, needed: Collection[str] | None = None
) -> dict[int, dict[str, Any]]:
    """Everything but orders, for ``ids``: a few queries per chunk of ids (only those
    the ``needed`` facts call for; all when None)."""

    def wanted(*names: str) -> bool:
        return needed is None or any(name in needed for name in names)

    side: dict[int, dict[str, Any]] = {}
    now_ts = now.timestamp()
    for chunk in chunks(ids, IN_CHUNK):
        for pk, created, contact in (
            Customer.objects.alive()
            .filter(pk__in=values_in(chunk, "int"))
            .values_list("pk", "created_at", "last_contact_at")
        ):
            contact_ts = _timestamp(contact)
            side[pk] = {
                "days_since_created": max(0, _days(now_ts, _timestamp(created)) or 0),
                "days_since_last_interaction": (
                    _days(now_ts, contact_ts)
                    if contact_ts is not None and contact_ts <= now_ts
                    else None
                ),
                "open_complaints": 0,
                "open_severe_complaints": 0,
                "latest_csat": None,
                "latest_nps": None,
                "tags": set(),
                "flags": set(),
            }
        if wanted("open_complaints", "open_severe_complaints"):
            _complaints(side, chunk, now)
        if wanted("latest_csat", "latest_nps"):
            _satisfaction(side, chunk, now)
        if wanted("tags"):
            _tags(side, chunk)
        if wanted("flags"):
            _flags(side, chunk)
    return side


def _complaints(side: dict[int, dict[str, Any]], chunk: Sequence[int], now: dt.datetime) -> None:
    for customer_id, severity in (
        Complaint.objects.filter(customer_id__in=values_in(chunk, "int"), received_at__lte=now)
        .exclude(status=ComplaintStatus.CLOSED)
        .values_list("customer_id", "severity")
    ):
        if customer_id in side:
            side[customer_id]["open_complaints"] += 1
            if severity in SEVERE:
                side[customer_id]["open_severe_complaints"] += 1


def _satisfaction(side: dict[int, dict[str, Any]], chunk: Sequence[int], now: dt.datetime) -> None:
    for customer_id, csat, nps in Satisfaction.objects.filter(
        customer_id__in=values_in(chunk, "int"), slot="latest", answered_at__lte=now
    ).values_list("customer_id", "csat", "nps"):
        if customer_id in side:
            side[customer_id]["latest_csat"] = csat
            side[customer_id]["latest_nps"] = nps


def _tags(side: dict[int, dict[str, Any]], chunk: Sequence[int]) -> None:
    through = Customer.tags.through
    for customer_id, name in through.objects.filter(
        customer_id__in=values_in(chunk, "int")
    ).values_list("customer_id", "tag__name"):
        if customer_id in side:
            side[customer_id]["tags"].add(name)


def _flags(side: dict[int, dict[str, Any]], chunk: Sequence[int]) -> None:
    for customer_id, key in CustomerFlag.objects.filter(
        customer_id__in=values_in(chunk, "int")
    ).values_list("customer_id", "flag__key"):
        if customer_id in side:
            side[customer_id]["flags"].add(key)


def _assemble(
    ids: Sequence[int],
    rows: Iterable[tuple[Any, ...]],
    now: dt.datetime,
    needed: Collection[str] | None = None,
) -> dict[int, CustomerFacts]:
    now_ts = now.timestamp()
    offset = _local_offset(now)
    folds: dict[int, _Fold] = {}
    for customer_id, ordered_at, total, refunded, cost, created_at in rows:
        at = _timestamp(ordered_at)
        if at is None or at > now_ts:
            continue
        # When Kehu learnt of the purchase: an order pushed late (backdated) is news
        # to the stage the customer entered before it arrived; evaluated as of a past
        # date, only the purchase time is known.
        created = _timestamp(created_at) or at
        seen = at if created > now_ts else max(at, created)
        fold = folds.get(customer_id)
        if fold is None:
            fold = folds[customer_id] = _Fold()
        fold.add(at, seen, total, refunded, cost, now_ts, offset)
    side = _side_facts(ids, now, needed)
    empty = _Fold()
    result: dict[int, CustomerFacts] = {}
    for pk in ids:
        if pk not in side:
            continue  # gone (hard-deleted) since the ids were read
        facts, times = folds.get(pk, empty).facts(now_ts)
        facts.update(side[pk])
        result[pk] = CustomerFacts(pk, facts, times)
    return result


def customer_facts_many(
    customer_ids: Iterable[int], *, now: dt.datetime, needed: Collection[str] | None = None
) -> dict[int, CustomerFacts]:
    """The facts of a few customers (an order batch's, one customer's): a handful of
    queries per 900 customers."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    return _assemble(ids, _order_rows(ids, 0, 0), now, needed)


def customer_facts(customer_id: int, *, now: dt.datetime) -> dict[str, Any]:
    found = customer_facts_many([customer_id], now=now).get(customer_id)
    return found.facts if found is not None else {}


def customer_facts_range(
    ids: Sequence[int], *, now: dt.datetime, needed: Collection[str] | None = None
) -> dict[int, CustomerFacts]:
    """The facts of a sorted run of customer ids, reading orders by id range (the
    recompute's pass: ``customer_id`` between the first and the last id)."""
    if not ids:
        return {}
    return _assemble(ids, _order_rows(None, ids[0], ids[-1] + 1), now, needed)
