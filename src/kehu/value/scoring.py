"""The facts a scoring run reads, straight into numpy arrays (no ORM, no per-row Python).

``ENVIRONMENT.md`` ("Orders and customer facts at 1M customers / 10M orders"): a full
table scan of the raw rows into numpy beats a SQL ``GROUP BY`` several times over, and
walking the ``customer_id`` index (``ORDER BY customer_id``) doubles SQLite's time. So
every read here is one scan, with the conversions (times to epoch seconds, money to
integer cents) done by the database, fetched in batches into int64 arrays.

- Purchases: paid and partially refunded orders; value = total − refunded (net of
  refunds), in cents; cost in cents with a flag where it is unknown.
- Local dates (``KEHU_TIME_ZONE``, Asia/Shanghai by default) from UTC epoch seconds,
  with the zone's offset looked up per hour (right across DST changes elsewhere).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection
from django.utils import timezone

from kehu.core.days import day_end
from kehu.core.sql import datetime_adapter
from kehu.orders.models import purchases_where

BATCH = 200_000
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def _epoch(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"floor(extract(epoch from {column}))::bigint"
    return f"CAST(strftime('%%s', {column}) AS INTEGER)"  # params always given


def _cents(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"round({column} * 100)::bigint"
    return f"CAST(ROUND({column} * 100) AS INTEGER)"


def _fetch(sql: str, params: list[Any], columns: int) -> np.ndarray:
    """Every row of ``sql`` (integer columns, no NULLs) as an (n, columns) int64 array."""
    parts: list[np.ndarray] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(BATCH):
            parts.append(np.array(batch, dtype=np.int64).reshape(-1, columns))
    if not parts:
        return np.zeros((0, columns), dtype=np.int64)
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


@dataclass(frozen=True)
class Purchases:
    customer: np.ndarray  # int64 ids
    epoch: np.ndarray  # UTC seconds
    net_cents: np.ndarray  # total − refunded
    cost_cents: np.ndarray  # 0 where unknown
    cost_unknown: np.ndarray  # bool

    def __len__(self) -> int:
        return int(self.customer.shape[0])

    def take(self, mask: np.ndarray) -> Purchases:
        return Purchases(
            self.customer[mask],
            self.epoch[mask],
            self.net_cents[mask],
            self.cost_cents[mask],
            self.cost_unknown[mask],
        )


def purchases_read() -> Purchases:
    """Every purchase row, in table order (a full scan)."""
    sql = (
        f"SELECT customer_id, {_epoch('ordered_at')}, "
        f"{_cents('total')} - {_cents('refunded_total')}, "
        f"COALESCE({_cents('cost')}, 0), CASE WHEN cost IS NULL THEN 1 ELSE 0 END "
        f"FROM orders_order WHERE {purchases_where()}"
    )
    rows = _fetch(sql, [], 5)
    return Purchases(
        customer=rows[:, 0].copy(),
        epoch=rows[:, 1].copy(),
        net_cents=rows[:, 2].copy(),
        cost_cents=rows[:, 3].copy(),
        cost_unknown=rows[:, 4].astype(bool),
    )


def alive_customers() -> np.ndarray:
    """Ids of customers not deleted, sorted."""
    rows = _fetch("SELECT id FROM customers_customer WHERE deleted_at IS NULL", [], 1)
    return np.sort(rows[:, 0])


def member(sorted_ids: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(found mask, index into ``sorted_ids``) of each value."""
    if sorted_ids.shape[0] == 0:
        return np.zeros(values.shape[0], dtype=bool), np.zeros(values.shape[0], dtype=np.int64)
    index = np.searchsorted(sorted_ids, values)
    index = np.minimum(index, sorted_ids.shape[0] - 1)
    return sorted_ids[index] == values, index


def local_days(epoch: np.ndarray) -> np.ndarray:
    """Local day numbers (``date.toordinal()``) of UTC epoch seconds."""
    if epoch.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    zone = timezone.get_default_timezone()
    hours = epoch // 3600
    low, high = int(hours.min()), int(hours.max())
    if high - low < 2_000_000:
        span = np.arange(low, high + 1)
        offsets = np.array([_offset(zone, int(h) * 3600) for h in span], dtype=np.int64)
        shift = offsets[hours - low]
    else:  # a century of hours: look up only those present
        unique, inverse = np.unique(hours, return_inverse=True)
        shift = np.array([_offset(zone, int(h) * 3600) for h in unique], dtype=np.int64)[inverse]
    return (epoch + shift) // 86400 + EPOCH_ORDINAL


def _offset(zone: dt.tzinfo, seconds: int) -> int:
    try:
        moment = dt.datetime.fromtimestamp(seconds, dt.UTC).astimezone(zone)
    except (OverflowError, OSError, ValueError):
        return 0
    offset = moment.utcoffset()
    return int(offset.total_seconds()) if offset else 0


@dataclass(frozen=True)
class SideFacts:
    complaints_30d: np.ndarray
    csat_latest: np.ndarray
    csat_previous: np.ndarray
    days_since_contact: np.ndarray
    usual_contact_gap: np.ndarray


@dataclass(frozen=True)
class SideRows:
    """The raw rows behind the side facts, read once (UTC epoch seconds): complaints,
    CSAT answers, interactions and each customer's last contact; ``facts`` computes them
    as of any day up to the day read, so the learned warning's earlier cut-offs cost no
    further scan."""

    complaint_customer: np.ndarray
    complaint_at: np.ndarray
    csat: np.ndarray  # (n, 4): customer, csat, answered_at, id
    contact_customer: np.ndarray
    contact_at: np.ndarray
    last_contact: np.ndarray  # (n, 2): customer, last_contact_at

    def facts(self, customers: np.ndarray, *, as_of: dt.date) -> SideFacts:
        return _facts_of(self, customers, as_of)


def side_rows(*, until: dt.date) -> SideRows:
    """Every row that counts up to the end of local day ``until``."""
    end_utc = day_end(until).astimezone(dt.UTC)
    adapt: Callable[[dt.datetime], object] = datetime_adapter()
    end = adapt(end_utc)
    complaints = _fetch(
        f"SELECT customer_id, {_epoch('received_at')} FROM complaints_complaint "
        "WHERE received_at < %s",
        [end],
        2,
    )
    csat = _fetch(
        f"SELECT customer_id, csat, {_epoch('answered_at')}, id FROM surveys_response "
        "WHERE csat IS NOT NULL AND answered_at < %s",
        [end],
        4,
    )
    contacts = _fetch(
        f"SELECT customer_id, {_epoch('occurred_at')} FROM interactions_interaction "
        "WHERE occurred_at < %s",
        [end],
        2,
    )
    last = _fetch(
        f"SELECT id, {_epoch('last_contact_at')} FROM customers_customer "
        "WHERE deleted_at IS NULL AND last_contact_at IS NOT NULL AND last_contact_at < %s",
        [end],
        2,
    )
    return SideRows(
        complaint_customer=complaints[:, 0],
        complaint_at=complaints[:, 1],
        csat=csat,
        contact_customer=contacts[:, 0],
        contact_at=contacts[:, 1],
        last_contact=last,
    )


def side_facts(customers: np.ndarray, *, as_of: dt.date) -> SideFacts:
    """Complaints of the last 30 days, the latest two CSAT answers and the contacts of
    ``customers`` (sorted ids), all as of the end of local day ``as_of``."""
    return side_rows(until=as_of).facts(customers, as_of=as_of)


def _facts_of(rows: SideRows, customers: np.ndarray, as_of: dt.date) -> SideFacts:
    n = customers.shape[0]
    end_ts = day_end(as_of).astimezone(dt.UTC).timestamp()
    start_ts = end_ts - 30 * 86400

    complaints = np.zeros(n)
    keep = (rows.complaint_at >= start_ts) & (rows.complaint_at < end_ts)
    found, index = member(customers, rows.complaint_customer[keep])
    complaints += np.bincount(index[found], minlength=n)[:n] if found.any() else 0

    latest, previous = np.full(n, np.nan), np.full(n, np.nan)
    csat = rows.csat[rows.csat[:, 2] < end_ts]
    found, index = member(customers, csat[:, 0])
    if found.any():
        csat, index = csat[found], index[found]
        order = np.lexsort((-csat[:, 3], -csat[:, 2], index))
        csat, index = csat[order], index[order]
        first = np.ones(index.shape[0], dtype=bool)
        first[1:] = index[1:] != index[:-1]
        latest[index[first]] = csat[first, 1]
        second = np.zeros(index.shape[0], dtype=bool)
        second[1:] = first[:-1] & ~first[1:]
        previous[index[second]] = csat[second, 1]

    last = np.full(n, -np.inf)
    first_seen = np.full(n, np.inf)
    count = np.zeros(n, dtype=np.int64)
    keep = rows.contact_at < end_ts
    found, index = member(customers, rows.contact_customer[keep])
    if found.any():
        index, ts = index[found], rows.contact_at[keep][found].astype(np.float64)
        np.maximum.at(last, index, ts)
        np.minimum.at(first_seen, index, ts)
        count = np.bincount(index, minlength=n)[:n]
    marks = rows.last_contact[rows.last_contact[:, 1] < end_ts]
    found, index = member(customers, marks[:, 0])
    if found.any():
        np.maximum.at(last, index[found], marks[found, 1].astype(np.float64))
    with np.errstate(invalid="ignore"):
        since = np.where(np.isfinite(last), np.floor((end_ts - last) / 86400), np.nan)
        usual = np.where(count >= 2, (last - first_seen) / 86400 / np.maximum(count - 1, 1), np.nan)
    usual = np.where(np.isfinite(usual) & (usual > 0), usual, np.nan)
    return SideFacts(
        complaints_30d=complaints,
        csat_latest=latest,
        csat_previous=previous,
        days_since_contact=since,
        usual_contact_gap=usual,
    )
