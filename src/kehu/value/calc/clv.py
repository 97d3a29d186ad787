"""Customer lifetime value over a horizon: BG/NBD purchases x Gamma-Gamma spend, discounted.

The formula of lifetimes' ``GammaGammaFitter.customer_lifetime_value`` (Fader, Hardie & Lee
2005, "RFM and CLV", with a discrete monthly discount):

    CLV = sum_{i=1..months} (E[Y(i m)] - E[Y((i-1) m)]) * E[Z] / (1 + d)^i,

where m is 30 days in the fit's time unit, E[Y(t)] the conditional expected purchases of
the purchase model — BG/NBD (:func:`bgnbd.expected_purchases`) or MBG/NBD
(:func:`mbgnbd.expected_purchases`), chosen by the type of the parameters — and E[Z] the
Gamma-Gamma expected spend (:func:`gamma_gamma.expected_value`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import bgnbd, mbgnbd
from ._arrays import Float
from .bgnbd import _alive_counts, _inputs, _unique_pairs
from .btyd import Params
from .errors import FitError
from .gamma_gamma import GammaGammaParams, expected_value


def _alive_parts(
    params: Params, x: Float, tx: Float, age: Float
) -> tuple[bgnbd.BGNBDParams, Float]:
    """The BG/NBD parameters of the purchases-while-alive, and each customer's P(alive)."""
    if isinstance(params, mbgnbd.MBGNBDParams):
        return mbgnbd.shifted(params), mbgnbd._p_alive(params, x, tx, age)
    return bgnbd._checked(params), bgnbd._p_alive(params, x, tx, age)


def discounted_purchases(
    bg: Params,
    frequency: Any,
    recency: Any,
    T: Any,
    *,
    months: int = 12,
    monthly_discount: float = 0.01,
    unit_days: float = 1.0,
) -> Float:
    """sum_i (E[Y(i m)] - E[Y((i-1) m)]) / (1 + d)^i: discounted expected purchases.

    The hypergeometric part is evaluated once per distinct (x, T) and month.
    """
    if not (0 <= months <= 1200 and 0 < unit_days < np.inf and -1 < monthly_discount < np.inf):
        raise FitError("invalid_input", {"reason": "months, unit_days or discount out of range"})
    x, tx, age = _inputs(frequency, recency, T)
    counting, alive = _alive_parts(bg, x, tx, age)
    ux, uT, inv = _unique_pairs(x, age)
    month = 30.0 / unit_days
    total = np.zeros_like(ux)
    before = np.zeros_like(ux)
    for i in range(1, months + 1):
        now = _alive_counts(counting, i * month, ux, uT)
        total += np.maximum(now - before, 0.0) / (1.0 + monthly_discount) ** i
        before = now
    return total[inv] * alive


def clv(
    bg: Params,
    gg: GammaGammaParams,
    frequency: Any,
    recency: Any,
    T: Any,
    monetary: Any,
    *,
    months: int = 12,
    monthly_discount: float = 0.01,
    unit_days: float = 1.0,
    monetary_n: Any = None,
) -> Float:
    """Discounted expected value of each customer's purchases in the next ``months``.

    ``monetary_n`` (optional; Summary.monetary_n) is the Gamma-Gamma x behind ``monetary``;
    by default ``frequency`` is used, as lifetimes does. Finite and >= 0 for valid input.
    """
    spend_n = frequency if monetary_n is None else monetary_n
    spend = expected_value(gg, spend_n, monetary)
    counts = discounted_purchases(
        bg,
        frequency,
        recency,
        T,
        months=months,
        monthly_discount=monthly_discount,
        unit_days=unit_days,
    )
    if len(spend) != len(counts):
        raise FitError("invalid_input", {"reason": "length mismatch"})
    value = counts * spend
    return np.where(np.isfinite(value), np.maximum(value, 0.0), 0.0)
