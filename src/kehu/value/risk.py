"""Churn risk (流失预警), explained, and whether a customer is worth saving. No Django.

Every input is a 1-D array over the same customers (``nan`` where a fact is unknown).
Each signal becomes a strength in 0..1:

===================  ==========================================================  ======
signal               strength                                                    weight
===================  ==========================================================  ======
behaviour            with a fitted model, P(no purchase in the next 90 days)     base
                     (BG/NBD); without one, the break in the customer's own
                     rhythm: days since the last purchase over the customer's
                     usual gap (the mean gap between purchase days, t_x / x; the
                     population's median gap for a one-time buyer): 1 cycle → 0,
                     4 cycles or more → 1. The rhythm and a low P(alive) are
                     always given as reasons when they count.
complaints           complaints received in the last 30 days: 1 → 0.5, 2+ → 1    0.6
satisfaction         latest CSAT at or below the low mark → 1; lower than the    0.4
                     previous answer → 0.5
order value          mean order value of the last 180 days against the earlier   0.3
                     mean: 80 % → 0, 30 % or less → 1
contact              days since the last contact over the usual gap between      0.2
                     contacts: 1.5× → 0, 4.5× or more → 1
===================  ==========================================================  ======

The score combines them as independent causes (a "noisy OR"):
``1 − (1 − behaviour) × Π(1 − weight × strength)``, so any one strong signal is enough
for a warning and more signals raise it further, never past 1.

Why not 1 − P(alive): BG/NBD gives every one-time buyer P(alive) = 1, however long
ago the purchase; on the CDNOW holdout (``benchmarks/bench_value_fit.py``) it ranks
who will not buy again worse than chance (AUC 0.32), the larger of it and the rhythm
0.73, P(no purchase in 90 days) 0.77 — as good as recency alone, and explained.

Learned weights: the nightly score learns the warning from the business's own past
(:mod:`kehu.value.churn_model`) and uses it instead of this score when it back-tests
better than the simple signals; the reasons below are then ordered by its weights.

Reasons: each signal that counts (strength ≥ ``REASON_MIN``) gives a ``(code, params)``
with its numbers, strongest first; the app renders the words in the reader's language.

Worth saving (值得挽留): the money at stake is the customer's CLV × the probability it
can be saved. We take that probability to be P(alive): a customer the model believes
still active can be won over by a call or an offer, one it believes already gone rarely
can. Without a fitted model (an RFM-only run) the money at stake is the customer's net
revenue of the last 12 months, what it would take away. The customer is worth saving
when the money at stake reaches the cost of one retention action.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

REASON_MIN = 0.25
W_COMPLAINTS = 0.6
W_SATISFACTION = 0.4
W_VALUE = 0.3
W_CONTACT = 0.2
COMPLAINT_DAYS = 30
RECENT_VALUE_DAYS = 180

Reason = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class RiskInputs:
    days_since_purchase: np.ndarray  # int days from the last purchase to as_of
    usual_gap: np.ndarray  # mean gap between purchase days; nan for one purchase
    p_alive: np.ndarray | None = None  # None: no fitted model
    p_quiet: np.ndarray | None = None  # P(no purchase in the next 90 days); None: no model
    complaints_30d: np.ndarray | None = None
    csat_latest: np.ndarray | None = None  # nan: never answered
    csat_previous: np.ndarray | None = None
    csat_low: float = 2.0
    value_recent: np.ndarray | None = None  # mean order value, last 180 days; nan: none
    value_earlier: np.ndarray | None = None  # mean order value before that; nan: none
    days_since_contact: np.ndarray | None = None  # nan: never contacted
    usual_contact_gap: np.ndarray | None = None  # nan: fewer than two contacts


@dataclass(frozen=True)
class Risk:
    score: np.ndarray  # 0..1
    signals: dict[str, np.ndarray]  # strength per signal, 0..1
    cycles: np.ndarray  # purchase cycles missed (days since / usual gap)
    gap: np.ndarray  # the gap used (the customer's, or the population's)


def _clip01(values: np.ndarray) -> np.ndarray:
    return np.clip(np.nan_to_num(values, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)


def _f(values: np.ndarray | None, n: int, fill: float = np.nan) -> np.ndarray:
    if values is None:
        return np.full(n, fill)
    return np.asarray(values, dtype=np.float64)


def churn_risk(inputs: RiskInputs) -> Risk:
    """The risk score and the strength of each signal, for every customer."""
    since = np.asarray(inputs.days_since_purchase, dtype=np.float64)
    n = since.shape[0]
    gap = _f(inputs.usual_gap, n)
    known = np.isfinite(gap) & (gap > 0)
    fallback = float(np.median(gap[known])) if known.any() else 90.0
    fallback = max(fallback, 1.0)
    gap = np.where(known, np.maximum(gap, 1.0), fallback)
    cycles = since / gap
    rhythm = _clip01((cycles - 1.0) / 3.0)
    signals: dict[str, np.ndarray] = {"rhythm": rhythm}
    behaviour = rhythm
    if inputs.p_alive is not None:
        signals["p_alive"] = _clip01(1.0 - np.asarray(inputs.p_alive, dtype=np.float64))
    if inputs.p_quiet is not None:
        behaviour = _clip01(np.asarray(inputs.p_quiet, dtype=np.float64))
        signals["quiet"] = behaviour
    complaints = _f(inputs.complaints_30d, n, 0.0)
    signals["complaints"] = _clip01(complaints / 2.0)
    latest, previous = _f(inputs.csat_latest, n), _f(inputs.csat_previous, n)
    with np.errstate(invalid="ignore"):
        low = np.isfinite(latest) & (latest <= inputs.csat_low)
        falling = np.isfinite(latest) & np.isfinite(previous) & (latest < previous)
    signals["satisfaction"] = np.where(low, 1.0, np.where(falling, 0.5, 0.0))
    recent, earlier = _f(inputs.value_recent, n), _f(inputs.value_earlier, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(
            np.isfinite(recent) & np.isfinite(earlier) & (earlier > 0), recent / earlier, np.nan
        )
    signals["order_value"] = np.where(np.isfinite(ratio), _clip01((0.8 - ratio) / 0.5), 0.0)
    contact, usual = _f(inputs.days_since_contact, n), _f(inputs.usual_contact_gap, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        lapse = np.where(
            np.isfinite(contact) & np.isfinite(usual) & (usual > 0), contact / usual, np.nan
        )
    signals["contact"] = np.where(np.isfinite(lapse), _clip01((lapse - 1.5) / 3.0), 0.0)
    keep = 1.0 - behaviour
    for name, weight in (
        ("complaints", W_COMPLAINTS),
        ("satisfaction", W_SATISFACTION),
        ("order_value", W_VALUE),
        ("contact", W_CONTACT),
    ):
        keep = keep * (1.0 - weight * signals[name])
    score = _clip01(1.0 - keep)
    return Risk(score=score, signals=signals, cycles=cycles, gap=gap)


def _round(value: float, places: int = 0) -> float | int:
    if places == 0:
        return int(np.round(float(value)))
    return round(float(value), places)


def risk_reasons(inputs: RiskInputs, risk: Risk, *, index: int) -> list[Reason]:
    """The reasons of one customer (``index`` into the arrays), strongest first."""
    found: list[tuple[float, str, dict[str, Any]]] = []
    s = risk.signals
    if "quiet" in s and s["quiet"][index] >= REASON_MIN:
        percent = _round(100 * s["quiet"][index])
        found.append((s["quiet"][index], "quiet_90d", {"percent": percent, "days": 90}))
    if "p_alive" in s and s["p_alive"][index] >= REASON_MIN and inputs.p_alive is not None:
        found.append(
            (s["p_alive"][index], "p_alive_low", {"p_alive": _round(inputs.p_alive[index], 2)})
        )
    if s["rhythm"][index] >= REASON_MIN:
        found.append(
            (
                s["rhythm"][index],
                "rhythm_break",
                {
                    "cycles": _round(np.floor(risk.cycles[index])),
                    "days": _round(inputs.days_since_purchase[index]),
                    "gap": _round(risk.gap[index]),
                },
            )
        )
    if s["complaints"][index] >= REASON_MIN and inputs.complaints_30d is not None:
        found.append(
            (
                s["complaints"][index] * W_COMPLAINTS,
                "complaints",
                {"count": _round(inputs.complaints_30d[index]), "days": COMPLAINT_DAYS},
            )
        )
    if s["satisfaction"][index] >= REASON_MIN and inputs.csat_latest is not None:
        latest = _round(inputs.csat_latest[index])
        if s["satisfaction"][index] >= 1.0:
            found.append((W_SATISFACTION, "csat_low", {"csat": latest}))
        elif inputs.csat_previous is not None:
            previous = _round(inputs.csat_previous[index])
            found.append(
                (W_SATISFACTION / 2, "csat_falling", {"csat": latest, "previous": previous})
            )
    if (
        s["order_value"][index] >= REASON_MIN
        and inputs.value_recent is not None
        and inputs.value_earlier is not None
    ):
        found.append(
            (
                s["order_value"][index] * W_VALUE,
                "order_value_falling",
                {
                    "recent": _round(inputs.value_recent[index], 2),
                    "earlier": _round(inputs.value_earlier[index], 2),
                    "days": RECENT_VALUE_DAYS,
                },
            )
        )
    if (
        s["contact"][index] >= REASON_MIN
        and inputs.days_since_contact is not None
        and inputs.usual_contact_gap is not None
    ):
        found.append(
            (
                s["contact"][index] * W_CONTACT,
                "contact_lapsed",
                {
                    "days": _round(inputs.days_since_contact[index]),
                    "usual": _round(inputs.usual_contact_gap[index]),
                },
            )
        )
    found.sort(key=lambda item: -item[0])
    return [(code, params) for _weight, code, params in found]


def reasons_all(inputs: RiskInputs, risk: Risk) -> list[list[Reason]]:
    """Every customer's reasons (the loop runs only over customers with any)."""
    n = risk.score.shape[0]
    out: list[list[Reason]] = [[] for _ in range(n)]
    any_signal = np.zeros(n, dtype=bool)
    for values in risk.signals.values():
        any_signal |= values >= REASON_MIN
    for index in np.flatnonzero(any_signal).tolist():
        out[index] = risk_reasons(inputs, risk, index=index)
    return out


@dataclass(frozen=True)
class Saving:
    money_at_stake: np.ndarray  # yuan
    p_save: np.ndarray  # the probability the customer can be saved
    worth: np.ndarray  # bool


def worth_saving(
    *,
    clv: np.ndarray | None,
    p_alive: np.ndarray | None,
    revenue_12m: np.ndarray,
    retention_cost: float,
) -> Saving:
    """Money at stake = CLV × P(save) with P(save) = P(alive); RFM-only: the last 12
    months' net revenue (P(save) taken as 1). Worth saving when it reaches the cost."""
    if clv is not None and p_alive is not None:
        p_save = _clip01(np.asarray(p_alive, dtype=np.float64))
        stake = np.maximum(np.nan_to_num(np.asarray(clv, dtype=np.float64)), 0.0) * p_save
    else:
        stake = np.maximum(np.nan_to_num(np.asarray(revenue_12m, dtype=np.float64)), 0.0)
        p_save = np.ones_like(stake)
    stake = np.round(stake, 2)
    return Saving(money_at_stake=stake, p_save=p_save, worth=stake >= retention_cost)
