"""Per-customer purchase summary (x, t_x, T, spend) from order rows.

Conventions of Fader, Hardie & Lee (2005, "Counting your customers the easy way") and of
the CDNOW data: several orders on the same day are ONE purchase whose value is their sum;
the frequency x counts repeat purchases (distinct purchase days after the first); the
recency t_x is first-to-last purchase; T is first purchase to the end of the calibration
period. Monetary value (Gamma-Gamma's input) is the mean of the repeat purchases with a
positive value; zero-value purchases (free samples) count in x and t_x but not in spend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._arrays import Float, Int, floats, integers, same_length
from .errors import FitError


@dataclass(frozen=True)
class Summary:
    """One entry per customer with >= 1 purchase up to as_of, sorted by customer id.

    Counts (frequency, monetary_n, orders) and ids/days are int64; the rest float64.
    """

    customer: Int
    frequency: Int
    recency: Float
    T: Float
    monetary: Float
    monetary_n: Int
    revenue: Float
    orders: Int
    first_day: Int
    last_day: Int

    def __len__(self) -> int:
        return len(self.customer)


def summarize(
    customer: Any, day: Any, value: Any, *, as_of_day: int, unit_days: float = 1.0
) -> Summary:
    """Summarise order rows (any order) into BG/NBD and Gamma-Gamma inputs.

    ``day`` are integer day numbers (e.g. ``date.toordinal()`` of the local date); rows with
    ``day > as_of_day`` are ignored. Times are in units of ``unit_days`` days (7 = weeks).
    """
    cust = integers("customer", customer)
    days = integers("day", day)
    vals = floats("value", value)
    same_length(customer=cust, day=days, value=vals)
    if not unit_days > 0 or not np.isfinite(unit_days):
        raise FitError("invalid_input", {"field": "unit_days", "reason": "must be > 0"})
    keep = days <= as_of_day
    cust, days, vals = cust[keep], days[keep], vals[keep]
    order = _sort_order(cust, days)
    cust, days, vals = cust[order], days[order], vals[order]
    return _summarise_sorted(cust, days, vals, as_of_day, float(unit_days))


def _sort_order(cust: Int, days: Int) -> Int:
    """Row order by (customer, day): one int64 key sort when it fits, else lexsort."""
    if len(cust) == 0:
        return np.zeros(0, dtype=np.int64)
    c0, d0 = int(cust.min()), int(days.min())
    c_span, d_span = int(cust.max()) - c0 + 1, int(days.max()) - d0 + 1
    if c_span * d_span < 2**62:
        key = (cust - c0) * d_span + (days - d0)
        return np.argsort(key).astype(np.int64, copy=False)
    return np.lexsort((days, cust)).astype(np.int64, copy=False)


def _starts(*keys: np.ndarray) -> Int:
    """Indices where a run of equal keys starts (rows sorted by the keys)."""
    n = len(keys[0])
    change = np.ones(n, dtype=bool)
    if n:
        change[1:] = False
        for k in keys:
            change[1:] |= k[1:] != k[:-1]
    return np.flatnonzero(change).astype(np.int64)


def _summarise_sorted(cust: Int, days: Int, vals: Float, as_of: int, unit: float) -> Summary:
    """The summary of rows already sorted by (customer, day)."""
    n_rows = len(cust)
    row_starts = _starts(cust)
    day_starts = _starts(cust, days)
    d_cust, d_day = cust[day_starts], days[day_starts]
    d_val = np.add.reduceat(vals, day_starts) if n_rows else np.zeros(0)
    first_of_customer = np.zeros(len(d_cust), dtype=bool)
    c_starts = _starts(d_cust)
    first_of_customer[c_starts] = True
    n_cust = len(c_starts)
    days_per_customer = np.diff(np.append(c_starts, len(d_cust)))
    owner = np.repeat(np.arange(n_cust), days_per_customer)  # customer of each purchase day
    ends = c_starts + days_per_customer - 1  # last purchase day of each customer
    first = d_day[c_starts]
    last = d_day[ends]
    paid = ~first_of_customer & (d_val > 0)
    monetary_n = np.bincount(owner[paid], minlength=n_cust).astype(np.int64)
    spend = np.bincount(owner[paid], weights=d_val[paid], minlength=n_cust)
    monetary = np.divide(spend, monetary_n, out=np.zeros(n_cust), where=monetary_n > 0)
    return Summary(
        customer=d_cust[c_starts],
        frequency=(days_per_customer - 1).astype(np.int64),
        recency=(last - first) / unit,
        T=(as_of - first) / unit,
        monetary=monetary,
        monetary_n=monetary_n,
        revenue=np.add.reduceat(vals, row_starts) if n_rows else np.zeros(0),
        orders=np.diff(np.append(row_starts, n_rows)).astype(np.int64),
        first_day=first.astype(np.int64),
        last_day=last.astype(np.int64),
    )
