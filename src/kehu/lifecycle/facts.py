"""Customers' facts for the lifecycle rules, as columns: one array per fact.

Read below the ORM: the purchase rows of the customers asked for, through a bare
cursor, into numpy arrays, folded into every customer's facts at once (``np.bincount``
and sorted groups; ``ENVIRONMENT.md``: model instances or a SQL ``GROUP BY`` cost
several times more at 10M orders). The same code serves the order just recorded (one
customer) and the full recompute (runs of thousands of customers by id range), so
both see the same facts to the last digit.

- Orders that count as purchases: paid and partially refunded ones, ordered at or
  before ``now`` (an evaluation "as of" a past date sees only what had happened).
  Revenue is net of refunds; profit is revenue − cost, unknown when any counted
  order's cost is unknown.
- ``median_gap_days``: the median of the gaps between purchase days (local dates;
  orders on the same day count once), unknown with fewer than two purchase days.
- Complaints (open, and open with severity high/critical), the latest satisfaction,
  the last interaction, tags and flags are read as they are now.
- Money facts are yuan built from integer cents (exact to the cent); an unknown
  number is NaN in its column and None in a customer's ``row()``.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.utils import timezone

from kehu.complaints.models import Complaint, Severity
from kehu.complaints.models import Status as ComplaintStatus
from kehu.core.sql import chunks, datetime_adapter, values_in
from kehu.customers.models import Customer
from kehu.lifecycle.models import CustomerFlag
from kehu.lifecycle.rules import WINDOWS
from kehu.orders.models import Order, purchases_where
from kehu.surveys.models import Satisfaction

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

DAY = 86400.0
SEVERE = (Severity.HIGH, Severity.CRITICAL)
IN_CHUNK = 5000
SET_FACTS = ("tags", "flags")
# Shown and stored as whole numbers (the columns hold floats, NaN for unknown).
WHOLE = frozenset(
    {
        "orders_count",
        "days_since_first_order",
        "days_since_last_order",
        "days_since_last_interaction",
        "days_since_created",
        "open_complaints",
        "open_severe_complaints",
        "latest_csat",
        "latest_nps",
        "days_in_stage",
        "orders_since_stage",
        "rfm_score",
        "tier",
    }
)
# From the latest customer-value scoring run (issue 8), in the order it gives them.
VALUE_FACTS = ("rfm_score", "tier", "p_alive", "clv", "churn_risk")


def _empty_floats(n: int = 0) -> Floats:
    return np.full(n, np.nan)


@dataclass
class FactTable:
    """The facts of ``ids`` (ascending customer ids), one entry per customer in each
    column, and when each counted purchase became known (for the stage facts)."""

    ids: Ints
    numbers: dict[str, Floats]
    sets: dict[str, dict[int, set[str]]] = field(default_factory=dict)  # fact → row → values
    purchase_row: Ints = field(default_factory=lambda: np.zeros(0, np.int64))
    purchase_seen: Floats = field(default_factory=_empty_floats)

    def __len__(self) -> int:
        return len(self.ids)

    def column(self, name: str) -> Floats:
        found = self.numbers.get(name)
        return found if found is not None else _empty_floats(len(self.ids))

    def has(self, name: str, value: str) -> Bools:
        mask = np.zeros(len(self.ids), dtype=bool)
        rows = [row for row, values in self.sets.get(name, {}).items() if value in values]
        mask[rows] = True
        return mask

    def orders_since(self, since: Floats) -> Floats:
        """Per customer, the counted purchases Kehu learnt of after ``since`` (epoch
        seconds; NaN: all of them)."""
        after = since[self.purchase_row]
        newer = np.isnan(after) | (self.purchase_seen > after)
        return np.bincount(self.purchase_row[newer], minlength=len(self.ids)).astype(np.float64)

    def row(self, index: int) -> dict[str, Any]:
        """One customer's facts as plain values (None for unknown)."""
        return self.rows([index])[0]

    def rows(self, indexes: Sequence[int] | Ints) -> list[dict[str, Any]]:
        """``row()`` of many customers (a column at a time)."""
        where = np.asarray(indexes, dtype=np.int64)
        found: list[dict[str, Any]] = [{} for _i in indexes]
        for name, column in self.numbers.items():
            for facts, value in zip(found, plain(name, column[where]), strict=True):
                facts[name] = value
        for name in SET_FACTS:
            values = self.sets.get(name, {})
            for facts, index in zip(found, where.tolist(), strict=True):
                facts[name] = set(values.get(index, ()))
        return found

    def position(self, customer_id: int) -> int | None:
        index = int(np.searchsorted(self.ids, customer_id))
        if index < len(self.ids) and self.ids[index] == customer_id:
            return index
        return None


def plain(name: str, values: Floats) -> list[float | int | None]:
    """Column values as Python numbers: None for unknown, whole facts as ints."""
    if name in WHOLE:
        return [None if value != value else int(value) for value in values.tolist()]
    return [None if value != value else value for value in values.tolist()]


# --- reading -----------------------------------------------------------------------------


def _local_offset(now: dt.datetime) -> float:
    offset = timezone.localtime(now).utcoffset()
    return offset.total_seconds() if offset else 0.0


def _order_sql(where: str) -> str:
    table = connection.ops.quote_name(Order._meta.db_table)
    if connection.vendor == "postgresql":
        columns = (
            "customer_id, EXTRACT(EPOCH FROM ordered_at)::float8, total::float8, "
            "refunded_total::float8, cost::float8, EXTRACT(EPOCH FROM created_at)::float8"
        )
    else:
        # Times as UTC text, parsed by numpy below (a bare column would go through
        # Django's per-value datetime converter).
        columns = (
            "customer_id, CAST(ordered_at AS TEXT), total, refunded_total, cost, "
            "CAST(created_at AS TEXT)"
        )
    return f"SELECT {columns} FROM {table} WHERE {purchases_where()} AND {where}"


# numpy reads a time with a UTC offset right (it converts to UTC) but warns that its
# datetime64 keeps no zone. Filtered once here: ``catch_warnings`` around each call
# would change the filters of every thread of a job worker meanwhile.
warnings.filterwarnings(
    "ignore", message="no explicit representation of timezones", category=UserWarning
)


def epochs(values: Sequence[Any]) -> Floats:
    if connection.vendor == "postgresql":
        return np.array(values, dtype=np.float64)
    # Text like "2026-06-21 12:51:06.185655" (UTC): microseconds, exactly as
    # ``datetime.timestamp()`` would give; text with an offset (written by other tools)
    # is converted to UTC by numpy too. What numpy cannot read is parsed one by one.
    try:
        micros = np.array(values, dtype="datetime64[us]").astype(np.int64)
    except ValueError:
        return np.array([_parse_utc(value) for value in values], dtype=np.float64)
    return micros / 1e6


def _parse_utc(value: str) -> float:
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def _cents(values: Sequence[Any]) -> Floats:
    """Cents as floats (NaN for NULL); whole numbers below 2**53, so sums are exact."""
    return np.rint(np.array(values, dtype=np.float64) * 100)


@dataclass
class _Orders:
    customer: Ints
    at: Floats
    net: Floats
    cost: Floats  # NaN: unknown
    created: Floats


def _orders_read(ids: Sequence[int], by_range: bool) -> _Orders:
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        if by_range:
            cursor.execute(_order_sql("customer_id >= %s AND customer_id <= %s"), [ids[0], ids[-1]])
            rows = cursor.fetchall()
        else:
            for chunk in chunks(ids, IN_CHUNK):
                subquery = values_in(chunk, "int")
                cursor.execute(_order_sql(f"customer_id IN ({subquery.sql})"), subquery.params)
                rows += cursor.fetchall()
    if not rows:
        empty = _empty_floats()
        return _Orders(np.zeros(0, np.int64), empty, empty, empty, empty)
    customer, ordered_at, total, refunded, cost, created_at = zip(*rows, strict=True)
    at = epochs(ordered_at)
    created = epochs(
        [c if c is not None else o for c, o in zip(created_at, ordered_at, strict=True)]
    )
    refunds = _cents(refunded)
    return _Orders(
        customer=np.array(customer, dtype=np.int64),
        at=at,
        net=_cents(total) - np.where(np.isnan(refunds), 0.0, refunds),
        cost=_cents(cost),
        created=created,
    )


# --- folding orders into facts ---------------------------------------------------------------


def _median_gaps(row: Ints, day: Ints, n: int) -> Floats:
    """Per row, the median gap between its distinct purchase days (NaN below two)."""
    result = _empty_floats(n)
    if not len(row):
        return result
    # Distinct (row, day), sorted: a sort and a mask (``np.unique`` hashes small arrays,
    # several times slower).
    key = np.sort(row * (1 << 24) + day)
    key = key[np.r_[True, key[1:] != key[:-1]]]
    owner, days = key >> 24, key & ((1 << 24) - 1)
    same = owner[1:] == owner[:-1]
    gaps = (days[1:] - days[:-1])[same].astype(np.float64)
    gap_owner = owner[1:][same]
    if not len(gaps):
        return result
    order = np.lexsort((gaps, gap_owner))
    gaps, gap_owner = gaps[order], gap_owner[order]
    counts = np.bincount(gap_owner, minlength=n)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    has = counts > 0
    low = starts[has] + (counts[has] - 1) // 2
    high = starts[has] + counts[has] // 2
    result[has] = (gaps[low] + gaps[high]) / 2
    return result


def _order_facts(
    ids: Ints, orders: _Orders, now: float, offset: float
) -> tuple[dict[str, Floats], Ints, Floats]:
    n = len(ids)
    row = np.minimum(np.searchsorted(ids, orders.customer), n - 1)
    keep = (orders.at <= now) & (ids[row] == orders.customer)
    row, at = row[keep], orders.at[keep]
    net, cost, created = orders.net[keep], orders.cost[keep], orders.created[keep]
    unknown = np.isnan(cost)
    profit = np.where(unknown, 0.0, net - cost)

    def total(weights: Floats | None = None, mask: Bools | None = None) -> Floats:
        rows = row if mask is None else row[mask]
        if weights is not None and mask is not None:
            weights = weights[mask]
        return np.bincount(rows, weights=weights, minlength=n).astype(np.float64)

    numbers: dict[str, Floats] = {"orders_count": total()}
    numbers["revenue_total"] = total(net) / 100
    profit_total = total(profit) / 100
    profit_total[total(mask=unknown) > 0] = np.nan
    numbers["profit_total"] = profit_total
    age = now - at
    for days in WINDOWS:
        recent = age <= days * DAY
        numbers[f"revenue_{days}d"] = total(net, recent) / 100
        window = total(profit, recent) / 100
        window[total(mask=recent & unknown) > 0] = np.nan
        numbers[f"profit_{days}d"] = window
    first, last = _empty_floats(n), _empty_floats(n)
    if len(row):
        order = np.lexsort((at, row))
        sorted_rows, sorted_at = row[order], at[order]
        starts = np.flatnonzero(np.r_[True, sorted_rows[1:] != sorted_rows[:-1]])
        ends = np.r_[starts[1:], len(sorted_rows)] - 1
        first[sorted_rows[starts]] = sorted_at[starts]
        last[sorted_rows[ends]] = sorted_at[ends]
    numbers["days_since_first_order"] = np.floor_divide(now - first, DAY)
    numbers["days_since_last_order"] = np.floor_divide(now - last, DAY)
    local_day = np.floor_divide(at + offset, DAY).astype(np.int64)
    numbers["median_gap_days"] = _median_gaps(row, local_day - local_day.min(initial=0), n)
    # When Kehu learnt of the purchase: an order pushed late (backdated) is news to the
    # stage the customer entered before it arrived; as of a past date, only the
    # purchase time is known.
    seen = np.where(created > now, at, np.maximum(at, created))
    return numbers, row, seen


# --- everything but orders ----------------------------------------------------------------------


# The facts the side statement reads, and the facts each of its columns serves
# (``days_since_created`` also stands for ``days_in_stage`` before a first placement).
SIDE_COLUMNS = (
    ("days_since_created", "days_in_stage"),
    ("days_since_last_interaction",),
    ("open_complaints",),
    ("open_severe_complaints",),
    ("latest_csat",),
    ("latest_nps",),
)


def _reads(needed: Collection[str] | None, names: Iterable[str]) -> bool:
    """Whether the rules read any of ``names`` (``needed`` None: they may read all)."""
    return needed is None or any(name in needed for name in names)


def _side_wanted(needed: Collection[str] | None) -> list[bool]:
    """Per column of the side statement, whether the rules read what it gives."""
    return [_reads(needed, serves) for serves in SIDE_COLUMNS]


def _side_sql(where: str, needed: Collection[str] | None) -> str:
    """One statement for every customer fact but orders and sets: the customer's own
    row, and its open complaints and latest satisfaction as subqueries; a column the
    rules do not read is NULL (a correlated subquery per customer costs)."""
    quote = connection.ops.quote_name
    customers = quote(Customer._meta.db_table)
    complaints = quote(Complaint._meta.db_table)
    satisfaction = quote(Satisfaction._meta.db_table)

    if connection.vendor == "postgresql":
        created, contact = (
            "EXTRACT(EPOCH FROM c.created_at)::float8",
            "EXTRACT(EPOCH FROM c.last_contact_at)::float8",
        )
    else:
        created, contact = "CAST(c.created_at AS TEXT)", "CAST(c.last_contact_at AS TEXT)"
    severe = ", ".join(f"'{severity}'" for severity in SEVERE)
    open_ = (
        f"SELECT COUNT(*) FROM {complaints} k WHERE k.customer_id = c.id "
        f"AND k.status <> '{ComplaintStatus.CLOSED}' AND k.received_at <= %(now)s"
    )
    latest = (
        f"FROM {satisfaction} s WHERE s.customer_id = c.id AND s.slot = 'latest' "
        "AND s.answered_at <= %(now)s"
    )
    expressions = (
        created,
        contact,
        f"({open_})",
        f"({open_} AND k.severity IN ({severe}))",
        f"(SELECT s.csat {latest})",
        f"(SELECT s.nps {latest})",
    )
    columns = ["c.id"] + [
        expression if wanted else "NULL"
        for expression, wanted in zip(expressions, _side_wanted(needed), strict=True)
    ]
    return (
        f"SELECT {', '.join(columns)} FROM {customers} c "
        f"WHERE c.deleted_at IS NULL AND {where} ORDER BY c.id"
    )


def _side_rows(
    ids: Sequence[int], now: dt.datetime, needed: Collection[str] | None, by_range: bool
) -> list[tuple[Any, ...]]:
    at = datetime_adapter()(now)
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        if by_range:
            sql = _side_sql("c.id >= %(low)s AND c.id <= %(high)s", needed)
            cursor.execute(sql, {"now": at, "low": ids[0], "high": ids[-1]})
            return cursor.fetchall()
        for chunk in chunks(ids, IN_CHUNK):
            subquery = values_in(chunk, "int")
            sql = _side_sql(f"c.id IN ({subquery.sql.replace('%s', '%(ids)s')})", needed)
            cursor.execute(sql, {"now": at, "ids": subquery.params[0]})
            rows += cursor.fetchall()
    rows.sort()
    return rows


def _epochs_or_nan(values: Sequence[Any]) -> Floats:
    if connection.vendor == "postgresql":
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    known = [v is not None for v in values]
    result = np.full(len(values), np.nan)
    if any(known):
        result[np.array(known)] = epochs([v for v in values if v is not None])
    return result


def _side_facts(
    ids: Sequence[int], now: dt.datetime, needed: Collection[str] | None, by_range: bool = False
) -> tuple[Ints, dict[str, Floats], dict[str, dict[int, set[str]]]]:
    """The alive customers among ``ids`` and their facts other than orders: one query
    per 5,000 ids (or one for a run of ids), and one per set fact the rules read."""

    rows = _side_rows(ids, now, needed, by_range)
    if by_range:
        wanted_ids = set(ids)
        rows = [row for row in rows if row[0] in wanted_ids]
    n = len(rows)
    columns = list(zip(*rows, strict=True)) if rows else [()] * 7
    alive = np.array(columns[0], dtype=np.int64)
    now_ts = now.timestamp()

    def floats(values: Sequence[Any]) -> Floats:
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

    numbers: dict[str, Floats] = {name: _empty_floats(n) for name in VALUE_FACTS}
    created, contact, complaints, severe, csat, nps = _side_wanted(needed)
    if created:
        days = np.floor_divide(now_ts - _epochs_or_nan(columns[1]), DAY)
        numbers["days_since_created"] = np.maximum(0.0, np.nan_to_num(days))
    if contact:
        last_contact = _epochs_or_nan(columns[2])
        last_contact[last_contact > now_ts] = np.nan
        numbers["days_since_last_interaction"] = np.floor_divide(now_ts - last_contact, DAY)
    for name, read, values in (
        ("open_complaints", complaints, columns[3]),
        ("open_severe_complaints", severe, columns[4]),
        ("latest_csat", csat, columns[5]),
        ("latest_nps", nps, columns[6]),
    ):
        if read:
            numbers[name] = floats(values)
    sets: dict[str, dict[int, set[str]]] = {name: {} for name in SET_FACTS}
    if not n:
        return alive, numbers, sets
    alive_ids = alive.tolist()
    scored = _value_run() if _reads(needed, VALUE_FACTS) else None
    for chunk in chunks(alive_ids, IN_CHUNK):
        if scored is not None:
            _value_facts(numbers, alive, chunk, scored)
        if not _reads(needed, SET_FACTS):
            continue
        subquery = values_in(chunk, "int")
        pairs: dict[str, Iterable[tuple[int, str]]] = {}
        if _reads(needed, ("tags",)):
            pairs["tags"] = Customer.tags.through.objects.filter(
                customer_id__in=subquery
            ).values_list("customer_id", "tag__name")
        if _reads(needed, ("flags",)):
            pairs["flags"] = CustomerFlag.objects.filter(customer_id__in=subquery).values_list(
                "customer_id", "flag__key"
            )
        for name, found in pairs.items():
            for customer_id, value in found:
                index = int(np.searchsorted(alive, customer_id))
                sets[name].setdefault(index, set()).add(value)
    return alive, numbers, sets


def _value_run() -> Any:
    """The value run the rules' value facts come from (looked up once per read)."""
    from kehu.value.selectors import run_latest_good

    return run_latest_good()


def _value_facts(numbers: dict[str, Floats], alive: Ints, chunk: Sequence[int], run: Any) -> None:
    from kehu.value.selectors import scores_in

    scores = scores_in(run, chunk)
    if not scores:
        return
    where = np.searchsorted(alive, np.array([row[0] for row in scores], dtype=np.int64))
    for column, name in enumerate(VALUE_FACTS, start=1):
        numbers[name][where] = np.array(
            [np.nan if row[column] is None else float(row[column]) for row in scores]
        )


# --- entry points -----------------------------------------------------------------------------


def fact_table(
    customer_ids: Iterable[int],
    *,
    now: dt.datetime,
    needed: Collection[str] | None = None,
    by_range: bool = False,
) -> FactTable:
    """The facts of the alive customers among ``customer_ids``. ``by_range``: the ids
    are a dense run (the recompute's), so orders are read by id range."""
    ids = sorted(set(customer_ids))
    if not ids:
        return FactTable(np.zeros(0, np.int64), {})
    alive, numbers, sets = _side_facts(ids, now, needed, by_range)
    if not len(alive):
        return FactTable(alive, numbers, sets)
    orders = _orders_read(alive.tolist(), by_range)
    now_ts = now.timestamp()
    order_numbers, purchase_row, seen = _order_facts(alive, orders, now_ts, _local_offset(now))
    numbers.update(order_numbers)
    order = np.lexsort((seen, purchase_row))
    return FactTable(alive, numbers, sets, purchase_row[order], seen[order])


def customer_facts(customer_id: int, *, now: dt.datetime) -> dict[str, Any]:
    table = fact_table([customer_id], now=now)
    return table.row(0) if len(table) else {}
