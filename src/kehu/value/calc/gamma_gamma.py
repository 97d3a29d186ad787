"""Gamma-Gamma model of average spend per purchase.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005), "RFM and CLV: Using Iso-Value Curves
for Customer Base Analysis", Journal of Marketing Research 42(4), 415-430; and Fader &
Hardie (2013), "The Gamma-Gamma Model of Monetary Value" (equation numbers below).

Each purchase's value is Gamma(p, nu) with nu ~ Gamma(q, v) across customers; the model
sees a customer's number of (repeat) purchases with value x and their mean value zbar.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import digamma, gammaln

from ._arrays import Float, Int, check_params, dot, floats, same_length, sum_by, weights_for
from ._groups import group
from ._optimize import Objective, maximise, mean_objective, require_converged
from .errors import FitError


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    v: float


@dataclass(frozen=True)
class GammaGammaFit:
    params: GammaGammaParams
    log_likelihood: float
    n: int  # customers used (x > 0 and zbar > 0)
    converged: bool
    iterations: int


def _inputs(frequency: Any, monetary: Any) -> tuple[Float, Float]:
    """Validated (x, zbar): finite, >= 0, whole x."""
    x = floats("frequency", frequency, nonnegative=True)
    m = floats("monetary", monetary, nonnegative=True)
    same_length(frequency=x, monetary=m)
    if (x != np.floor(x)).any():
        raise FitError("invalid_input", {"field": "frequency", "reason": "not whole numbers"})
    return x, m


@dataclass(frozen=True)
class _Data:
    """Distinct (x, zbar) rows with weights; zbar divided by ``scale``; ``xi`` indexes ``ux``."""

    x: Float
    log_m: Float
    m: Float
    w: Float
    xi: Int
    ux: Float
    uw: Float
    total: float
    scale: float


def _compress(x: Float, m: Float, w: Float, scale: float) -> _Data:
    """Merge identical (x, zbar) rows and scale money."""
    inv, first = group(m, x)
    xu, mu = x[first], m[first] / scale
    wu = sum_by(inv, w, len(first))
    xi, x_first = group(xu)
    ux = xu[x_first]
    return _Data(
        x=xu,
        log_m=np.log(mu),
        m=mu,
        w=wu,
        xi=xi,
        ux=ux,
        uw=sum_by(xi, wu, len(ux)),
        total=float(wu.sum()),
        scale=scale,
    )


def _loglik_grad(theta: Float, data: _Data) -> tuple[float, Float]:
    """Total log-likelihood (Fader & Hardie 2013, eq. 4) and gradient in (p, q, v):

    log L = log G(px+q) - log G(px) - log G(q) + q log v + (px-1) log zbar + px log x
            - (px+q) log(v + x zbar).
    """
    p, q, v = np.exp(theta)
    ux, uw, w = data.ux, data.uw, data.w
    spent = v + data.x * data.m
    log_den = np.log(spent)
    px = p * data.x
    ll = (
        dot(uw, gammaln(p * ux + q) - gammaln(p * ux) - gammaln(q) + p * ux * np.log(ux))
        + data.total * q * np.log(v)
        + dot(w, (px - 1) * data.log_m - (px + q) * log_den)
    )
    psi = digamma(p * ux + q)
    grad = np.array(
        [
            dot(uw * ux, psi - digamma(p * ux) + np.log(ux))
            + dot(w * data.x, data.log_m - log_den),
            dot(uw, psi - digamma(q)) + data.total * np.log(v) - dot(w, log_den),
            data.total * q / v - dot(w, (px + q) / spent),
        ]
    )
    return float(ll), grad


def _objective(data: _Data) -> Objective:
    return mean_objective(_loglik_grad, data, data.total)


def _usable(x: Float, m: Float, w: Float) -> tuple[Float, Float, Float]:
    """The rows the model is defined on: x > 0, zbar > 0, weight > 0."""
    keep = (x > 0) & (m > 0) & (w > 0)
    return x[keep], m[keep], w[keep]


def log_likelihood(
    params: GammaGammaParams, frequency: Any, monetary: Any, weights: Any = None
) -> float:
    """Total Gamma-Gamma log-likelihood of the rows with x > 0 and zbar > 0."""
    check_params("gamma_gamma", p=params.p, q=params.q, v=params.v)
    x, m = _inputs(frequency, monetary)
    x, m, w = _usable(x, m, weights_for(weights, len(x)))
    if not len(x):
        return 0.0
    theta = np.log([params.p, params.q, params.v])
    with np.errstate(all="ignore"):
        return _loglik_grad(theta, _compress(x, m, w, 1.0))[0]


def fit(
    frequency: Any, monetary: Any, *, weights: Any = None, min_customers: int = 200
) -> GammaGammaFit:
    """Maximum-likelihood (p, q, v) on the customers with x > 0 and zbar > 0.

    ``frequency`` is the number of repeat purchases with a value (Summary.monetary_n),
    ``monetary`` their mean value. Money is divided by the mean zbar inside (v scaled back).
    Raises FitError ``no_data``, ``insufficient_data`` (fewer than ``min_customers`` usable
    rows), ``invalid_input``, or ``no_convergence`` — also when q <= 1, where the population
    mean spend p v / (q - 1) does not exist.
    """
    x, m = _inputs(frequency, monetary)
    w = weights_for(weights, len(x))
    if len(x) == 0 or w.sum() <= 0:
        raise FitError("no_data", {"customers": 0})
    x, m, w = _usable(x, m, w)
    total = float(w.sum())
    if total < min_customers:
        raise FitError(
            "insufficient_data", {"customers": round(total), "min_customers": min_customers}
        )
    scale = float(np.average(m, weights=w))
    opt = maximise(_objective(_compress(x, m, w, scale)), np.zeros(3))
    require_converged(opt, "gamma_gamma")
    p, q, v = (float(val) for val in np.exp(opt.theta))
    if q <= 1.0:
        raise FitError("no_convergence", {"model": "gamma_gamma", "reason": "q <= 1", "q": q})
    loglik = -opt.value * total - np.log(scale) * float(w.sum())
    return GammaGammaFit(
        params=GammaGammaParams(p=p, q=q, v=v * scale),
        log_likelihood=float(loglik),
        n=round(total),
        converged=True,
        iterations=opt.iterations,
    )


def expected_value(params: GammaGammaParams, frequency: Any, monetary: Any) -> Float:
    """E[Z | x, zbar] = (p v + p x zbar) / (p x + q - 1)  (Fader & Hardie 2013, eq. 5).

    A weighted average of the population mean p v / (q - 1) and the customer's own mean.
    Rows with x = 0 or zbar = 0 (no valued purchase observed) get the population mean.
    Never NaN: if q <= 1 the population mean is undefined and those rows get 0.
    """
    check_params("gamma_gamma", p=params.p, q=params.q, v=params.v)
    x, m = _inputs(frequency, monetary)
    p, q, v = params.p, params.q, params.v
    x = np.where(m > 0, x, 0.0)
    den = p * x + q - 1
    with np.errstate(all="ignore"):
        value = (p * v + p * x * m) / den
    return np.where((den > 0) & np.isfinite(value), value, 0.0)
