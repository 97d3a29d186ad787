"""Target fit (目标客户定位): how much a profile resembles the business's best customers.

A smoothed naive Bayes on profile attributes (industry, city, company size, ...), kept
simple so that every number can be explained:

- A customer's profile is a set of **features**, each an ``(attribute, value)`` pair
  (``("industry", "餐饮")``); a multi-valued attribute (tags) gives one feature per
  value, a missing value none (it is no evidence either way).
- Each feature's weight is the log-odds that its customers are **top** customers
  (the top 20 % by profit), minus the log-odds of the base rate, with the rate
  shrunk towards the base rate by ``strength`` pseudo-customers (the m-estimate,
  Cestnik 1990): ``rate = (top + m * base) / (n + m)``. A value seen once moves the
  rate by about 1/m, so it cannot dominate; a value seen 1,000 times keeps its own rate.
- Values of a single-valued attribute seen fewer than ``min_count`` times are pooled
  into one ``OTHER`` bucket of that attribute (a value never seen when fitting takes
  that bucket's weight too); rare values of a multi-valued attribute are dropped.
- A profile's sum of weights ``s`` is calibrated to a probability
  ``sigmoid(intercept + slope * s)`` by a one-variable logistic regression on the
  fitted customers: naive Bayes double-counts correlated attributes (a city implies its
  province), and the slope takes that back.
- The **reasons** are the features with the largest positive contributions.

No Django import: the app reads the profiles into arrays, this fits and scores them.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import FitError

OTHER = "*"  # the pooled bucket of an attribute's rare values
STRENGTH = 20.0
MIN_COUNT = 10
MIN_REASON = 0.1  # a contribution below this (log-odds) is not worth saying
REASONS = 3
PRIOR = 50.0  # the calibration slope's pull towards 1
MAX_SLOPE = 2.0

Reason = tuple[str, str, float]  # (attribute, value, contribution in log-odds)


@dataclass(frozen=True)
class FitTable:
    """What ``fit`` learnt: enough to score any profile at once, without refitting."""

    base: float  # share of top customers among the fitted ones
    intercept: float
    slope: float
    weights: dict[str, dict[str, float]] = field(default_factory=dict)
    customers: int = 0
    top: int = 0
    multi: tuple[str, ...] = ()  # multi-valued attributes (no OTHER bucket)

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "intercept": self.intercept,
            "slope": self.slope,
            "weights": self.weights,
            "customers": self.customers,
            "top": self.top,
            "multi": list(self.multi),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FitTable | None:
        """The table stored by ``to_json``; None when ``data`` is not one."""
        try:
            weights = {
                str(attr): {str(v): float(w) for v, w in values.items()}
                for attr, values in dict(data["weights"]).items()
            }
            table = cls(
                base=float(data["base"]),
                intercept=float(data["intercept"]),
                slope=float(data["slope"]),
                weights=weights,
                customers=int(data.get("customers", 0)),
                top=int(data.get("top", 0)),
                multi=tuple(str(m) for m in data.get("multi", ())),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        finite = all(math.isfinite(x) for x in (table.base, table.intercept, table.slope))
        return table if finite else None


def _logit(p: np.ndarray | float) -> Any:
    return np.log(p) - np.log1p(-p)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _check(rows: Any, features: Any, vocabulary: Sequence[tuple[str, str]], n: int) -> tuple:
    r = np.asarray(rows, dtype=np.int64).ravel()
    f = np.asarray(features, dtype=np.int64).ravel()
    if r.shape != f.shape:
        raise FitError("invalid_input", {"field": "features", "reason": "length differs"})
    if r.size and (r.min() < 0 or r.max() >= n):
        raise FitError("invalid_input", {"field": "rows", "reason": "out of range"})
    if f.size and (f.min() < 0 or f.max() >= len(vocabulary)):
        raise FitError("invalid_input", {"field": "features", "reason": "out of range"})
    return r, f


def _distinct(r: np.ndarray, f: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The (row, feature) pairs once each, by row (a sort: numpy's hashed ``unique``
    is several times slower on a million pairs)."""
    pairs = np.sort(r * k + f)
    if pairs.size:
        pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]
    return pairs // k, pairs % k


def fit(
    rows: Any,
    features: Any,
    vocabulary: Sequence[tuple[str, str]],
    top: Any,
    *,
    multi: Collection[str] = (),
    strength: float = STRENGTH,
    min_count: int = MIN_COUNT,
) -> FitTable:
    """The weights of every feature and the calibration, from ``top`` (bool per
    customer) and the customers' features: customer ``rows[i]`` has feature
    ``vocabulary[features[i]]``. FitError("insufficient_data") without both top and
    other customers."""
    y = np.asarray(top, dtype=bool).ravel()
    n = int(y.shape[0])
    r, f = _check(rows, features, vocabulary, n)
    n_top = int(y.sum())
    if n_top == 0 or n_top == n:
        raise FitError("insufficient_data", {"customers": n, "top": n_top})
    base = n_top / n
    # Customers and top customers per feature (a customer counted once per feature).
    r, f = _distinct(r, f, len(vocabulary))
    seen = np.bincount(f, minlength=len(vocabulary)).astype(np.float64)
    tops = np.bincount(f, weights=y[r].astype(np.float64), minlength=len(vocabulary))
    attrs = np.array([a for a, _v in vocabulary], dtype=object)
    rare = seen < min_count
    # Pool the rare values of each single-valued attribute into its OTHER bucket.
    bucket_seen: dict[str, float] = {}
    bucket_top: dict[str, float] = {}
    for i in np.flatnonzero(rare & (seen > 0)).tolist():
        attr = str(attrs[i])
        if attr in multi:
            continue
        bucket_seen[attr] = bucket_seen.get(attr, 0.0) + seen[i]
        bucket_top[attr] = bucket_top.get(attr, 0.0) + tops[i]

    def weight(t: np.ndarray | float, s: np.ndarray | float) -> Any:
        rate = (t + strength * base) / (s + strength)
        return _logit(rate) - _logit(base)

    w = np.where(rare, 0.0, weight(tops, seen))
    weights: dict[str, dict[str, float]] = {}
    for i in np.flatnonzero(~rare).tolist():
        attr, value = vocabulary[i]
        weights.setdefault(attr, {})[value] = round(float(w[i]), 6)
    for attr, s in bucket_seen.items():
        weights.setdefault(attr, {})[OTHER] = round(float(weight(bucket_top[attr], s)), 6)
    table = FitTable(
        base=base,
        intercept=float(_logit(base)),
        slope=1.0,
        weights=weights,
        customers=n,
        top=n_top,
        multi=tuple(sorted(multi)),
    )
    total = np.bincount(r, weights=feature_weights(table, vocabulary)[f], minlength=n)
    intercept, slope = _calibrate(total, y, float(_logit(base)))
    return FitTable(
        base=base,
        intercept=intercept,
        slope=slope,
        weights=weights,
        customers=n,
        top=n_top,
        multi=table.multi,
    )


def _calibrate(s: np.ndarray, y: np.ndarray, start: float) -> tuple[float, float]:
    """(a, b) of ``P(top) = sigmoid(a + b s)`` by Newton's method on the log-likelihood,
    with a prior pulling b towards 1 (worth ``PRIOR`` customers' evidence: it fades with
    many customers, and keeps a few hundred nearly separable ones from a slope that
    says 100 %); b is kept in [0, ``MAX_SLOPE``], so a positive weight always raises
    the score."""
    x = np.column_stack([np.ones_like(s), s])
    beta = np.array([start, 1.0])
    prior = np.array([0.0, 1.0])
    ridge = np.diag([1e-9, PRIOR])
    for _ in range(50):
        p = _sigmoid(x @ beta)
        gradient = x.T @ (y - p) - ridge @ (beta - prior)
        hessian = (x * (p * (1 - p))[:, None]).T @ x + ridge
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            break
        beta = beta + step
        if np.abs(step).max() < 1e-10:
            break
    a, b = float(beta[0]), float(beta[1])
    if not (math.isfinite(a) and math.isfinite(b)):
        return start, 1.0
    if b <= 0:  # the weights do not rank the fitted customers: everyone at the base rate
        return start, 0.0
    return a, min(b, MAX_SLOPE)


def feature_weights(table: FitTable, vocabulary: Sequence[tuple[str, str]]) -> np.ndarray:
    """The weight of each feature of ``vocabulary`` in ``table`` (a value the table does
    not know: its attribute's OTHER bucket, or 0)."""
    return _weights(table, vocabulary)[0]


def _weights(
    table: FitTable, vocabulary: Sequence[tuple[str, str]]
) -> tuple[np.ndarray, np.ndarray]:
    """``feature_weights`` and whether each is the value's own (not a pooled bucket's:
    only those can be named as a reason)."""
    out = np.zeros(len(vocabulary))
    named = np.zeros(len(vocabulary), dtype=bool)
    for i, (attr, value) in enumerate(vocabulary):
        values = table.weights.get(attr)
        if not values:
            continue
        if value in values and value != OTHER:
            out[i], named[i] = values[value], True
        elif attr not in table.multi:
            out[i] = values.get(OTHER, 0.0)
    return out, named


def score(
    table: FitTable,
    rows: Any,
    features: Any,
    vocabulary: Sequence[tuple[str, str]],
    n: int,
    *,
    reasons: int = REASONS,
) -> tuple[np.ndarray, list[list[Reason]]]:
    """(P(top) per customer, each one's reasons: up to ``reasons`` features with the
    largest positive contributions, largest first; a pooled bucket is never named)."""
    probability, named = score_matrix(table, rows, features, vocabulary, n, reasons=reasons)
    w = table.slope * feature_weights(table, vocabulary)
    out: list[list[Reason]] = [[] for _ in range(n)]
    for row, feature in zip(*np.nonzero(named >= 0), strict=True):
        f = int(named[row, feature])
        attr, value = vocabulary[f]
        out[int(row)].append((attr, value, round(float(w[f]), 4)))
    return probability, out


def score_matrix(
    table: FitTable,
    rows: Any,
    features: Any,
    vocabulary: Sequence[tuple[str, str]],
    n: int,
    *,
    reasons: int = REASONS,
) -> tuple[np.ndarray, np.ndarray]:
    """``score`` as arrays: P(top) per customer and an (n, ``reasons``) matrix of the
    reasons' feature indices, largest contribution first, -1 where there is none (a
    reason's contribution is ``table.slope * feature_weights(...)[feature]``)."""
    r, f = _check(rows, features, vocabulary, n)
    r, f = _distinct(r, f, len(vocabulary))
    w, named = _weights(table, vocabulary)
    total = np.bincount(r, weights=w[f], minlength=n)
    probability = _sigmoid(table.intercept + table.slope * total)
    contribution = table.slope * w[f]
    keep = (contribution >= MIN_REASON) & named[f]
    r, f, contribution = r[keep], f[keep], contribution[keep]
    order = np.lexsort((f, -contribution, r))
    r, f = r[order], f[order]
    first = np.ones(r.shape[0], dtype=bool)
    first[1:] = r[1:] != r[:-1]
    start = np.maximum.accumulate(np.where(first, np.arange(r.shape[0]), 0))
    rank = np.arange(r.shape[0]) - start
    keep = rank < reasons
    matrix = np.full((n, max(reasons, 0)), -1, dtype=np.int64)
    matrix[r[keep], rank[keep]] = f[keep]
    return probability, matrix


def profile_features(profile: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The features of one profile: ``{"industry": "餐饮", "tag": ["VIP"]}`` →
    ``[("industry", "餐饮"), ("tag", "VIP")]`` (empty values left out)."""
    out: list[tuple[str, str]] = []
    for attr, value in profile.items():
        values = value if isinstance(value, list | tuple | set | frozenset) else [value]
        for v in values:
            if v is None or str(v).strip() == "":
                continue
            feature = (str(attr), str(v).strip())
            if feature not in out:
                out.append(feature)
    return out


def score_profile(
    table: FitTable, profile: Mapping[str, Any], *, reasons: int = REASONS
) -> tuple[float, list[Reason]]:
    """``score`` of a single profile given as a mapping (see ``profile_features``)."""
    vocabulary = profile_features(profile)
    k = len(vocabulary)
    probability, found = score(
        table, np.zeros(k, dtype=np.int64), np.arange(k), vocabulary, 1, reasons=reasons
    )
    return float(probability[0]), found[0]
