"""MBG/NBD model: BG/NBD where a customer may also drop out right after the first purchase.

Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison of models for
customer base analysis", IJRM 24(3), 201-209, with the erratum of Wagner & Hoppe (2008),
IJRM 25(3), 225-226 — the formulas of lifetimes' ``ModifiedBetaGeoFitter``.

While alive a customer buys at Poisson rate lambda ~ Gamma(r, alpha); at the first purchase
and after each repeat purchase they drop out with probability p ~ Beta(a, b). Under BG/NBD
(:mod:`bgnbd`) a customer can only drop out after a repeat purchase, so every one-time buyer
has P(alive) = 1 however long ago they bought; here they do not.

Several quantities are BG/NBD's with b + 1 (the expected purchases of a customer alive at
T, :func:`bgnbd._alive_counts`); P(alive) and the likelihood are the model's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln

from ._arrays import Float, Int, check_horizon, check_params, dot, sum_by, weights_for
from ._groups import group
from ._optimize import Objective, mean_objective
from .bgnbd import BGNBDParams, _alive_counts, _inputs, _unique_pairs, distinct_values, fit_counts


@dataclass(frozen=True)
class MBGNBDParams:
    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class MBGNBDFit:
    params: MBGNBDParams
    log_likelihood: float  # total, in the caller's time unit
    n: int  # customers (sum of weights)
    repeat: int  # customers with x > 0
    converged: bool
    iterations: int


def _checked(params: MBGNBDParams) -> MBGNBDParams:
    check_params("mbgnbd", r=params.r, alpha=params.alpha, a=params.a, b=params.b)
    return params


def shifted(params: MBGNBDParams) -> BGNBDParams:
    """BG/NBD parameters whose purchases-while-alive equal this model's: b + 1."""
    p = _checked(params)
    return BGNBDParams(r=p.r, alpha=p.alpha, a=p.a, b=p.b + 1.0)


# ---------------------------------------------------------------- compression


@dataclass(frozen=True)
class _Data:
    """One row per distinct (x, t_x, T) with its weight, times divided by ``scale``;
    ``xi``/``ti``/``Ti`` index the distinct values ``ux``/``utx``/``uT``."""

    x: Float
    w: Float
    xi: Int
    ux: Float
    uw: Float
    ti: Int
    utx: Float
    Ti: Int
    uT: Float
    total: float
    scale: float


def _compress(x: Float, tx: Float, age: Float, w: Float, scale: float) -> _Data:
    keep = w > 0
    if not keep.all():
        x, tx, age, w = x[keep], tx[keep], age[keep], w[keep]
    inv, first = group(tx, x, age)
    wr = sum_by(inv, w, len(first))
    return _Data(
        **distinct_values(x[first], tx[first], age[first], wr, scale),
        total=float(w.sum()),
        scale=scale,
    )


# ---------------------------------------------------------------- likelihood


def _loglik_grad(theta: Float, data: _Data) -> tuple[float, Float]:
    """Total log-likelihood and its gradient in (r, alpha, a, b).

    log L = log G(r+x) - log G(r) + r log alpha + log B(a, b+x+1) - log B(a, b)
            - (r+x) log(alpha+T) + log(1 + e^d),
    d = log(a/(b+x)) + (r+x) log((alpha+T)/(alpha+t_x)), for every customer, one-time buyers
    included (t_x = 0).
    """
    r, al, a, b = np.exp(theta)
    ux, uw, w = data.ux, data.uw, data.w
    log_T, log_t = np.log(al + data.uT), np.log(al + data.utx)
    lt_big, inv_big = log_T[data.Ti], np.exp(-log_T)[data.Ti]
    inv_small = np.exp(-log_t)[data.ti]
    gap = lt_big - log_t[data.ti]  # log(alpha+T) - log(alpha+t_x)
    rx = r + data.x
    wrx = w * rx
    d = rx * gap
    d += (np.log(a) - np.log(b + ux))[data.xi]
    soft = np.log1p(np.exp(-np.abs(d)))
    soft += np.maximum(d, 0.0)  # log(1 + e^d)
    sig = np.exp(d - soft)  # e^d / (1 + e^d)
    ws = w * sig
    s_u = sum_by(data.xi, ws, len(ux))
    psi_ab = digamma(a + b)
    psi_abx = digamma(a + b + ux + 1)
    ll = (
        data.total * r * np.log(al)
        + dot(uw, gammaln(r + ux) - gammaln(r) + betaln(a, b + ux + 1) - betaln(a, b))
        + dot(w, soft)
        - dot(wrx, lt_big)
    )
    grad = np.array(
        [
            data.total * np.log(al)
            + dot(uw, digamma(r + ux) - digamma(r))
            + dot(ws, gap)
            - dot(w, lt_big),
            data.total * r / al + dot(wrx * sig, inv_big - inv_small) - dot(wrx, inv_big),
            dot(uw, psi_ab - psi_abx) + s_u.sum() / a,
            dot(uw, digamma(b + ux + 1) - psi_abx - digamma(b) + psi_ab) - dot(s_u, 1 / (b + ux)),
        ]
    )
    return float(ll), grad


def log_likelihood(
    params: MBGNBDParams, frequency: Any, recency: Any, T: Any, weights: Any = None
) -> float:
    """Total MBG/NBD log-likelihood of the data, in the data's time unit."""
    _checked(params)
    x, tx, age = _inputs(frequency, recency, T)
    data = _compress(x, tx, age, weights_for(weights, len(x)), 1.0)
    theta = np.log([params.r, params.alpha, params.a, params.b])
    with np.errstate(all="ignore"):
        return _loglik_grad(theta, data)[0]


def fit(
    frequency: Any, recency: Any, T: Any, *, weights: Any = None, min_repeat: int = 200
) -> MBGNBDFit:
    """Maximum-likelihood MBG/NBD parameters; the same contract as :func:`bgnbd.fit`
    (FitError ``no_data``, ``insufficient_data``, ``invalid_input``, ``no_convergence``;
    unit-free: fitting in days gives alpha 7 times the fit in weeks)."""
    f = fit_counts(
        frequency,
        recency,
        T,
        weights=weights,
        min_repeat=min_repeat,
        model="mbgnbd",
        objective=lambda *rows: _objective(_compress(*rows)),
    )
    r, al, a, b = f.theta
    return MBGNBDFit(
        params=MBGNBDParams(r=r, alpha=al, a=a, b=b),
        log_likelihood=f.log_likelihood,
        n=f.n,
        repeat=f.repeat,
        converged=True,
        iterations=f.iterations,
    )


def _objective(data: _Data) -> Objective:
    return mean_objective(_loglik_grad, data, data.total)


# ---------------------------------------------------------------- scoring


def _p_alive(params: MBGNBDParams, x: Float, tx: Float, age: Float) -> Float:
    """P(alive) on validated arrays: 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))."""
    r, al, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(all="ignore"):
        d = np.log(a) - np.log(b + x) + (r + x) * (np.log(al + age) - np.log(al + tx))
        prob = expit(-d)
    return np.clip(np.nan_to_num(prob, nan=0.0), 0.0, 1.0)


def p_alive(params: MBGNBDParams, frequency: Any, recency: Any, T: Any) -> Float:
    """P(alive | x, t_x, T) (Batislam et al. 2007, appendix A eq. 5); below 1 for a
    one-time buyer too, falling as the time since their purchase grows."""
    return _p_alive(_checked(params), *_inputs(frequency, recency, T))


def expected_purchases(
    params: MBGNBDParams, t: float, frequency: Any, recency: Any, T: Any
) -> Float:
    """E[Y(t) | x, t_x, T]: expected purchases in the next t time units (Wagner & Hoppe
    2008): P(alive) times BG/NBD's purchases-while-alive with b + 1."""
    bg = shifted(params)
    x, tx, age = _inputs(frequency, recency, T)
    ux, uT, inv = _unique_pairs(x, age)
    counts = _alive_counts(bg, check_horizon(t), ux, uT)[inv]
    return counts * _p_alive(params, x, tx, age)


def expected_purchases_new(params: MBGNBDParams, t: float) -> float:
    """E[X(t)] of a new customer over their first t units:
    b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))]."""
    zero = np.zeros(1)
    return float(expected_purchases(params, t, zero, zero, zero)[0])


def p_no_purchase(params: MBGNBDParams, t: float, frequency: Any, recency: Any, T: Any) -> Float:
    """P(no purchase in the next t units | x, t_x, T) = 1 - P(alive) + P(alive)
    ((alpha+T)/(alpha+T+t))^(r+x), as for BG/NBD (:func:`bgnbd.p_no_purchase`)."""
    _checked(params)
    t = check_horizon(t)
    x, tx, age = _inputs(frequency, recency, T)
    alive = _p_alive(params, x, tx, age)
    idle = np.exp((params.r + x) * (np.log(params.alpha + age) - np.log(params.alpha + age + t)))
    return np.clip(1.0 - alive + alive * np.nan_to_num(idle, nan=1.0), 0.0, 1.0)
