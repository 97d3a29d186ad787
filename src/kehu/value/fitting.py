"""Fitting the value models for a score run (where P(alive), CLV and P(no purchase) come from).

Both purchase models — BG/NBD and MBG/NBD (:mod:`kehu.value.calc.btyd`) — are fitted on the
whole history with Gamma-Gamma for spend; the back-test on the business's own history
(:mod:`kehu.value.calc.backtest`) decides which one scores the customers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from kehu.value.calc import backtest, btyd, clv, gamma_gamma
from kehu.value.calc.errors import FitError
from kehu.value.calc.summary import Summary


@dataclass
class Model:
    code: str = "ok"
    detail: dict[str, Any] | None = None
    params: dict[str, Any] | None = None
    p_alive: np.ndarray | None = None
    p_quiet: np.ndarray | None = None  # P(no purchase in the next 90 days)
    expected_90: np.ndarray | None = None
    clv: np.ndarray | None = None

    @property
    def fitted(self) -> bool:
        return self.code == "ok"


def models_fit(s: Summary, test: backtest.Backtest, *, clv_months: int, discount: float) -> Model:
    """The purchase model the back-test prefers (BG/NBD or MBG/NBD) + Gamma-Gamma, in days,
    or the reason they could not be fitted.

    Both purchase models are fitted on the whole history, side by side. The back-test's
    best scores the customers; without a back-test (too little history), the one with the
    higher likelihood (both have four parameters: also the lower AIC).
    """
    fits: dict[str, btyd.Fit] = {}
    failures: dict[str, FitError] = {}
    for name in backtest.NAMES:
        try:
            fits[name] = btyd.fit(name, s.frequency, s.recency, s.T)
        except FitError as error:
            failures[name] = error
    if not fits:
        failure = failures["bgnbd"]
        return Model(code=failure.code, detail=jsonable(failure.detail))
    try:
        gg = gamma_gamma.fit(s.monetary_n, s.monetary)
    except FitError as error:
        return Model(code=error.code, detail=jsonable(error.detail))
    if test.best in fits:
        chosen, chosen_by = str(test.best), "backtest"
    else:
        chosen = max(fits, key=lambda name: fits[name].log_likelihood)
        chosen_by = "likelihood"
    fitted = fits[chosen]
    if not (fitted.converged and gg.converged):
        return Model(code="no_convergence", detail={"iterations": fitted.iterations})
    p = fitted.params
    model = btyd.module_of(p)
    q = gg.params
    p_alive = model.p_alive(p, s.frequency, s.recency, s.T)
    expected = model.expected_purchases(p, 90.0, s.frequency, s.recency, s.T)
    quiet = model.p_no_purchase(p, 90.0, s.frequency, s.recency, s.T)
    value = clv.clv(
        p,
        q,
        s.frequency,
        s.recency,
        s.T,
        s.monetary,
        months=clv_months,
        monthly_discount=discount,
        unit_days=1.0,
        monetary_n=s.monetary_n,
    )
    numbers = [p.r, p.alpha, p.a, p.b, q.p, q.q, q.v]
    arrays = (p_alive, expected, value, quiet)
    if not all(np.isfinite(numbers)) or not all(np.isfinite(a).all() for a in arrays):
        return Model(code="non_finite", detail={})
    params: dict[str, Any] = {
        "model": chosen,
        "chosen_by": chosen_by,
        "gamma_gamma": {"p": q.p, "q": q.q, "v": q.v},
        "time_unit": "day",
        "gamma_gamma_log_likelihood": float(gg.log_likelihood),
        "gamma_gamma_customers": int(gg.n),
        "backtest": test.as_dict(),
    }
    for name in backtest.NAMES:
        one = fits.get(name)
        params[name] = vars(one.params) if one else None
        params[f"{name}_log_likelihood"] = float(one.log_likelihood) if one else None
    return Model(
        params=params,
        p_alive=np.clip(p_alive, 0.0, 1.0),
        p_quiet=np.clip(quiet, 0.0, 1.0),
        expected_90=np.maximum(expected, 0.0),
        clv=np.maximum(value, 0.0),
    )


def jsonable(detail: Mapping[str, Any]) -> dict[str, Any]:
    """A FitError's detail as JSON-safe values (numpy scalars unwrapped, inf/nan as None)."""
    out: dict[str, Any] = {}
    for key, value in detail.items():
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and not np.isfinite(value):
            value = None
        if isinstance(value, str | int | float | bool) or value is None:
            out[str(key)] = value
        else:
            out[str(key)] = str(value)
    return out
