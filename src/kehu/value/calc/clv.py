"""Customer lifetime value over a horizon: BG/NBD purchases x Gamma-Gamma spend, discounted.

The formula of lifetimes' ``GammaGammaFitter.customer_lifetime_value`` (Fader, Hardie & Lee
2005, "RFM and CLV", with a discrete monthly discount):

    CLV = sum_{i=1..months} (E[Y(i m)] - E[Y((i-1) m)]) * E[Z] / (1 + d)^i,

where m is 30 days in the fit's time unit, E[Y(t)] the BG/NBD conditional expected
purchases (:func:`bgnbd.expected_purchases`) and E[Z] the Gamma-Gamma expected spend
(:func:`gamma_gamma.expected_value`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._arrays import Float
from .bgnbd import BGNBDParams, _alive_counts, _checked, _inputs, _p_alive, _unique_pairs
from .errors import FitError
from .gamma_gamma import GammaGammaParams, expected_value


def discounted_purchases(
    bg: BGNBDParams,
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
    _checked(bg)
    x, tx, age = _inputs(frequency, recency, T)
    ux, uT, inv = _unique_pairs(x, age)
    month = 30.0 / unit_days
    total = np.zeros_like(ux)
    before = np.zeros_like(ux)
    for i in range(1, months + 1):
        now = _alive_counts(bg, i * month, ux, uT)
        total += np.maximum(now - before, 0.0) / (1.0 + monthly_discount) ** i
        before = now
    return total[inv] * _p_alive(bg, x, tx, age)


def clv(
    bg: BGNBDParams,
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
