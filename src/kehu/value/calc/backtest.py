"""Which purchase model predicts this business best: a back-test on its own history.

The history up to ``as_of`` is cut at ``as_of - holdout``: each model is fitted on the
calibration part, predicts every calibration customer's repeat purchases in the holdout, and
is scored on what they did:

- ``rmse``: root mean squared error of the per-customer purchase counts. The conditional
  expectation is what minimises it, so it is the proper score for E[Y(t)], the input of CLV.
  The model with the lower RMSE wins.
- ``auc``: how well P(no purchase in the holdout) ranks the customers who bought nothing.
- ``predicted`` against ``actual``: total purchases in the holdout (the tracking plot's end).

Purchases are counted as in :mod:`summary`: distinct purchase days. Above ``sample``
customers the back-test runs on a fixed pseudo-random sample of them (chosen by a hash of
the id, so the same customers every night): the choice between two models needs no more,
and at a million customers the whole history would double the fitting time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import btyd
from ._arrays import Float, Int, floats, integers, same_length
from .errors import FitError
from .metrics import auc
from .summary import summarize

MIN_HOLDOUT_DAYS = 28
NAMES = ("bgnbd", "mbgnbd")
SAMPLE = 100_000  # customers back-tested at most


@dataclass(frozen=True)
class ModelScore:
    code: str  # "ok" or the FitError code of the calibration fit
    rmse: float | None = None
    auc: float | None = None
    predicted: float | None = None
    log_likelihood: float | None = None  # of the calibration fit
    params: dict[str, float] | None = None  # of the calibration fit


@dataclass(frozen=True)
class Backtest:
    code: str  # "ok", "short_history" or "no_fit" (neither model fitted the calibration)
    holdout_days: int = 0
    cutoff_day: int = 0
    customers: int = 0  # calibration customers scored
    sampled: bool = False  # a sample of the customers, not all of them
    actual: int = 0  # their purchases in the holdout
    scores: dict[str, ModelScore] = field(default_factory=dict)

    @property
    def best(self) -> str | None:
        """The model with the lowest RMSE (BG/NBD on a tie), None when none could be scored."""
        scored = [(s.rmse, name) for name, s in self.scores.items() if s.rmse is not None]
        if not scored:
            return None
        return min(scored, key=lambda pair: (pair[0], NAMES.index(pair[1])))[1]

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "holdout_days": self.holdout_days,
            "cutoff_day": self.cutoff_day,
            "customers": self.customers,
            "sampled": self.sampled,
            "actual": self.actual,
            "best": self.best,
            "scores": {name: vars(score) for name, score in self.scores.items()},
        }


def holdout_for(first_day: int, as_of_day: int, horizon_days: int) -> int:
    """The holdout length: the forecast horizon, but at most a third of the history (the
    calibration keeps two thirds); 0 when that leaves less than MIN_HOLDOUT_DAYS."""
    span = as_of_day - first_day
    days = min(int(horizon_days), span // 3)
    return days if days >= MIN_HOLDOUT_DAYS else 0


def holdout_purchases(
    customer: Int, day: Int, *, members: Int, cutoff_day: int, as_of_day: int
) -> Int:
    """Distinct purchase days in (cutoff_day, as_of_day] of each of ``members`` (sorted ids)."""
    keep = (day > cutoff_day) & (day <= as_of_day)
    cust, days = customer[keep], day[keep]
    pos = np.searchsorted(members, cust)
    pos = np.minimum(pos, max(len(members) - 1, 0))
    known = (members[pos] == cust) if len(members) else np.zeros(len(cust), dtype=bool)
    pos, days = pos[known], days[known]
    if not len(pos):
        return np.zeros(len(members), dtype=np.int64)
    span = int(days.max()) - int(days.min()) + 1
    key = np.unique(pos.astype(np.int64) * span + (days - int(days.min())))
    return np.bincount(key // span, minlength=len(members)).astype(np.int64)


def _sampled(customer: Int, fraction: float) -> np.ndarray:
    """Rows of a fixed pseudo-random ``fraction`` of the customers (Knuth's multiplicative
    hash of the id, so a customer is in or out whatever else the rows hold)."""
    hashed = (customer.astype(np.uint64) * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)
    return hashed < np.uint64(int(fraction * 2**32))


def _score(name: str, s: Any, actual: Int, horizon: float) -> ModelScore:
    try:
        fitted = btyd.fit(name, s.frequency, s.recency, s.T)
    except FitError as error:
        return ModelScore(code=error.code)
    module = btyd.module_of(fitted.params)
    predicted: Float = module.expected_purchases(
        fitted.params, horizon, s.frequency, s.recency, s.T
    )
    quiet: Float = module.p_no_purchase(fitted.params, horizon, s.frequency, s.recency, s.T)
    if not (np.isfinite(predicted).all() and np.isfinite(quiet).all()):
        return ModelScore(code="non_finite")
    miss = predicted - actual
    try:
        ranked: float | None = auc(quiet, actual == 0)
    except FitError:  # everyone bought again, or nobody did
        ranked = None
    return ModelScore(
        code="ok",
        rmse=float(np.sqrt(np.mean(miss * miss))),
        auc=ranked,
        predicted=float(predicted.sum()),
        log_likelihood=float(fitted.log_likelihood),
        params=dict(vars(fitted.params)),
    )


def compare(
    customer: Any,
    day: Any,
    value: Any,
    *,
    as_of_day: int,
    horizon_days: int = 365,
    holdout_days: int | None = None,
    customers: int | None = None,
    sample: int = SAMPLE,
) -> Backtest:
    """Back-test both models on order rows (customer id, day number, value) up to as_of_day.

    The holdout is :func:`holdout_for` the history and ``horizon_days``, or exactly
    ``holdout_days`` when given (e.g. CDNOW's published 39 weeks). ``customers`` is the
    number of distinct customers in the rows, if the caller knows it."""
    cust = integers("customer", customer)
    days = integers("day", day)
    vals = floats("value", value)
    same_length(customer=cust, day=days, value=vals)
    if customers is None:
        customers = len(np.unique(cust))
    sampled = customers > sample
    if sampled:
        chosen = _sampled(cust, sample / customers)
        cust, days, vals = cust[chosen], days[chosen], vals[chosen]
    upto = days <= as_of_day
    if not upto.any():
        return Backtest(code="short_history")
    first = int(days[upto].min())
    holdout = holdout_days or holdout_for(first, as_of_day, horizon_days)
    if not holdout or holdout >= as_of_day - first:
        return Backtest(code="short_history")
    cutoff = as_of_day - holdout
    s = summarize(cust, days, vals, as_of_day=cutoff, unit_days=1.0)
    actual = holdout_purchases(
        cust, days, members=s.customer, cutoff_day=cutoff, as_of_day=as_of_day
    )
    scores = {name: _score(name, s, actual, float(holdout)) for name in NAMES}
    ok = any(score.code == "ok" for score in scores.values())
    return Backtest(
        code="ok" if ok else "no_fit",
        holdout_days=holdout,
        cutoff_day=cutoff,
        customers=len(s),
        sampled=sampled,
        actual=int(actual.sum()),
        scores=scores,
    )
