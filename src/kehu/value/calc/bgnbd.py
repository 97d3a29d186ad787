"""BG/NBD model: fit by maximum likelihood, P(alive), expected purchases.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005), "'Counting Your Customers' the Easy
Way: An Alternative to the Pareto/NBD Model", Marketing Science 24(2), 275-284 — equation
numbers below refer to it; and Fader, Hardie & Lee (2008), "Computing P(alive) using the
BG/NBD model" (the x = 0 convention: a customer with no repeat purchase is alive).

While alive a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each repeat
purchase they drop out with probability p ~ Beta(a, b). ``frequency`` x, ``recency`` t_x
and ``T`` are as in :mod:`summary`; alpha is in the same time unit as t_x and T.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from ._arrays import (
    Float,
    Int,
    check_horizon,
    check_params,
    dot,
    floats,
    same_length,
    sum_by,
    weights_for,
)
from ._groups import group
from ._optimize import Objective, maximise, mean_objective, require_converged
from .errors import FitError


@dataclass(frozen=True)
class BGNBDParams:
    r: float
    alpha: float
    a: float
    b: float


def _checked(params: BGNBDParams) -> BGNBDParams:
    check_params("bgnbd", r=params.r, alpha=params.alpha, a=params.a, b=params.b)
    return params


@dataclass(frozen=True)
class BGNBDFit:
    params: BGNBDParams
    log_likelihood: float  # total, in the caller's time unit
    n: int  # customers (sum of weights)
    repeat: int  # customers with x > 0
    converged: bool
    iterations: int


# ---------------------------------------------------------------- input and compression


def _inputs(frequency: Any, recency: Any, T: Any) -> tuple[Float, Float, Float]:
    """Validated (x, t_x, T): finite, >= 0, whole x, t_x <= T, t_x = 0 when x = 0."""
    x = floats("frequency", frequency, nonnegative=True)
    tx = floats("recency", recency, nonnegative=True)
    age = floats("T", T, nonnegative=True)
    same_length(frequency=x, recency=tx, T=age)
    if (x != np.floor(x)).any():
        raise FitError("invalid_input", {"field": "frequency", "reason": "not whole numbers"})
    over = tx > age * (1 + 1e-12) + 1e-12
    if over.any():
        raise FitError(
            "invalid_input", {"field": "recency", "reason": "recency > T", "rows": int(over.sum())}
        )
    stray = (x == 0) & (tx > 0)
    if stray.any():
        raise FitError(
            "invalid_input",
            {
                "field": "recency",
                "reason": "recency > 0 with frequency 0",
                "rows": int(stray.sum()),
            },
        )
    return x, tx, age


@dataclass(frozen=True)
class _Data:
    """Identical rows merged with weights; times divided by ``scale``.

    Repeat customers (x > 0): one row per distinct (x, t_x, T); ``xi``, ``ti`` and ``Ti``
    index the distinct x, t_x and T values ``ux``, ``utx``, ``uT`` (logs are taken once per
    distinct value). One-time customers: one row per distinct T (``T0``, weights ``w0``).
    """

    x: Float
    w: Float
    xi: Int
    ux: Float
    uw: Float
    ti: Int
    utx: Float
    Ti: Int
    uT: Float
    T0: Float
    w0: Float
    total: float
    scale: float


def _compress(x: Float, tx: Float, age: Float, w: Float, scale: float) -> _Data:
    """Merge identical rows (Fader & Hardie's condensed RFM matrix) and scale time."""
    if len(w) and w.min() <= 0:
        keep = w > 0
        x, tx, age, w = x[keep], tx[keep], age[keep], w[keep]
    rep = np.flatnonzero(x > 0)
    once = np.flatnonzero(x == 0)
    x_r, tx_r, T_r, w_r = x[rep], tx[rep], age[rep], w[rep]
    inv, first = group(tx_r, x_r, T_r)
    wr = sum_by(inv, w_r, len(first))
    by_t = np.argsort(tx_r[first])
    first, wr = first[by_t], wr[by_t]
    xr, txr, Tr = x_r[first], tx_r[first], T_r[first]  # by t_x: gathers run in order
    T_once = age[once]
    inv0, first0 = group(T_once)
    return _Data(
        **distinct_values(xr, txr, Tr, wr, scale),
        T0=T_once[first0] / scale,
        w0=sum_by(inv0, w[once], len(first0)),
        total=float(w.sum()),
        scale=scale,
    )


def distinct_values(xr: Float, txr: Float, Tr: Float, wr: Float, scale: float) -> dict[str, Any]:
    """The rows (x, weight) with indexes into their distinct x, t_x and T (scaled), each
    log taken once per distinct value: the fields BG/NBD's and MBG/NBD's data share."""
    xi, x_first = group(xr)
    ti, t_first = group(txr)
    Ti, T_first = group(Tr)
    return {
        "x": xr,
        "w": wr,
        "xi": xi,
        "ux": xr[x_first],
        "uw": sum_by(xi, wr, len(x_first)),
        "ti": ti,
        "utx": txr[t_first] / scale,
        "Ti": Ti,
        "uT": Tr[T_first] / scale,
    }


# ---------------------------------------------------------------- likelihood


def _loglik_grad(theta: Float, data: _Data) -> tuple[float, Float]:
    """Total log-likelihood (eq. 6) and its gradient in (r, alpha, a, b).

    log L = log G(r+x) - log G(r) + r log alpha + log B(a, b+x) - log B(a, b)
            - (r+x) log(alpha+T) + [x>0] log(1 + d),  d = a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x),
    the second term of eq. 6 written relative to the first (B(a+1,b+x-1) = B(a,b+x) a/(b+x-1)).
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
    d += (np.log(a) - np.log(b + ux - 1))[data.xi]
    soft = np.log1p(np.exp(-np.abs(d)))
    soft += np.maximum(d, 0.0)  # log(1 + e^d)
    sig = np.exp(d - soft)  # e^d / (1 + e^d)
    ws = w * sig
    s_u = sum_by(data.xi, ws, len(ux))
    lt0 = np.log(al + data.T0)
    psi_abx = digamma(a + b + ux)
    ll = (
        data.total * r * np.log(al)
        + dot(uw, gammaln(r + ux) - gammaln(r) + betaln(a, b + ux) - betaln(a, b))
        - r * dot(data.w0, lt0)
        + dot(w, soft)
        - dot(wrx, lt_big)
    )
    grad = np.array(
        [
            data.total * np.log(al)
            + dot(uw, digamma(r + ux) - digamma(r))
            - dot(data.w0, lt0)
            + dot(ws, gap)
            - dot(w, lt_big),
            data.total * r / al
            - r * dot(data.w0, 1.0 / (al + data.T0))
            + dot(wrx * sig, inv_big - inv_small)
            - dot(wrx, inv_big),
            dot(uw, digamma(a + b) - psi_abx) + s_u.sum() / a,
            dot(uw, digamma(b + ux) - psi_abx - digamma(b) + digamma(a + b))
            - dot(s_u, 1 / (b + ux - 1)),
        ]
    )
    return float(ll), grad


def _objective(data: _Data) -> Objective:
    return mean_objective(_loglik_grad, data, data.total)


def log_likelihood(
    params: BGNBDParams, frequency: Any, recency: Any, T: Any, weights: Any = None
) -> float:
    """Total BG/NBD log-likelihood (eq. 6) of the data, in the data's time unit."""
    _checked(params)
    x, tx, age = _inputs(frequency, recency, T)
    w = weights_for(weights, len(x))
    data = _compress(x, tx, age, w, 1.0)
    theta = np.log([params.r, params.alpha, params.a, params.b])
    with np.errstate(all="ignore"):
        return _loglik_grad(theta, data)[0]


# ---------------------------------------------------------------- fit


def fit(
    frequency: Any, recency: Any, T: Any, *, weights: Any = None, min_repeat: int = 200
) -> BGNBDFit:
    """Maximum-likelihood BG/NBD parameters (eq. 6 summed over customers).

    Raises FitError: ``no_data`` (no customers), ``insufficient_data`` (fewer than
    ``min_repeat`` customers with a repeat purchase), ``invalid_input``, ``no_convergence``.
    Time is divided by max(T)/10 inside (alpha scaled back), so the fit is unit-free:
    fitting in days gives alpha exactly 7 times the fit in weeks.
    """
    f = fit_counts(
        frequency,
        recency,
        T,
        weights=weights,
        min_repeat=min_repeat,
        model="bgnbd",
        objective=lambda *rows: _objective(_compress(*rows)),
    )
    r, al, a, b = f.theta
    return BGNBDFit(
        params=BGNBDParams(r=r, alpha=al, a=a, b=b),
        log_likelihood=f.log_likelihood,
        n=f.n,
        repeat=f.repeat,
        converged=True,
        iterations=f.iterations,
    )


@dataclass(frozen=True)
class Fitted:
    """A maximum-likelihood fit of a four-parameter purchase-count model."""

    theta: tuple[float, float, float, float]  # r, alpha (in the caller's unit), a, b
    log_likelihood: float  # total, in the caller's time unit
    n: int  # customers (sum of weights)
    repeat: int  # customers with x > 0
    iterations: int


def fit_counts(
    frequency: Any,
    recency: Any,
    T: Any,
    *,
    weights: Any,
    min_repeat: int,
    model: str,
    objective: Callable[[Float, Float, Float, Float, float], Objective],
) -> Fitted:
    """The fit shared by BG/NBD and MBG/NBD: inputs checked, time divided by max(T)/10,
    ``objective(x, t_x, T, weights, scale)`` maximised from log-parameters 0, alpha and
    the log-likelihood brought back to the caller's unit."""
    x, tx, age = _inputs(frequency, recency, T)
    w = weights_for(weights, len(x))
    total = float(w.sum())
    if total <= 0:
        raise FitError("no_data", {"customers": 0})
    repeat = float(w[x > 0].sum())
    if repeat < min_repeat:
        raise FitError(
            "insufficient_data",
            {"customers": round(total), "repeat": round(repeat), "min_repeat": min_repeat},
        )
    scale = float(age.max()) / 10.0 or 1.0
    opt = maximise(objective(x, tx, age, w, scale), np.zeros(4))
    require_converged(opt, model)
    r, al, a, b = (float(v) for v in np.exp(opt.theta))
    loglik = -opt.value * total - np.log(scale) * dot(w, x)
    return Fitted(
        theta=(r, al * scale, a, b),
        log_likelihood=float(loglik),
        n=round(total),
        repeat=round(repeat),
        iterations=opt.iterations,
    )


# ---------------------------------------------------------------- scoring


def _log_odds_dead(params: BGNBDParams, x: Float, tx: Float, age: Float) -> Float:
    """log of a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x) for x > 0 (-inf for x = 0)."""
    r, al, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(all="ignore"):
        d = (
            np.log(a)
            - np.log(b + np.maximum(x, 1) - 1)
            + (r + x) * (np.log(al + age) - np.log(al + tx))
        )
    return np.where(x > 0, d, -np.inf)


def p_alive(params: BGNBDParams, frequency: Any, recency: Any, T: Any) -> Float:
    """P(alive | x, t_x, T) = 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)).

    FHL (2008) eq. 2; exactly 1 for x = 0 (no repeat purchase, so no chance yet to drop out).
    """
    return _p_alive(_checked(params), *_inputs(frequency, recency, T))


def _p_alive(params: BGNBDParams, x: Float, tx: Float, age: Float) -> Float:
    """p_alive on validated arrays."""
    prob = expit(-_log_odds_dead(params, x, tx, age))
    return np.clip(np.nan_to_num(prob, nan=1.0), 0.0, 1.0)


def _alive_counts(params: BGNBDParams, t: float, x: Float, age: Float) -> Float:
    """Expected purchases in (T, T+t] of a customer alive at T with x repeat purchases.

    The numerator of eq. 10, (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x)
    2F1(r+x, b+x; a+b+x-1; z)], z = t/(alpha+T+t), rewritten with Euler's transformation
    2F1(A,B;C;z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z) as
    (a+b+x-1)/(a-1) [1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)],
    whose parameters stay small as x grows. At a = 1 (0/0) the two sides are averaged.
    """
    if abs(params.a - 1.0) < 1e-6:
        lo = BGNBDParams(params.r, params.alpha, 1.0 - 2e-6, params.b)
        hi = BGNBDParams(params.r, params.alpha, 1.0 + 2e-6, params.b)
        return (_alive_counts(lo, t, x, age) + _alive_counts(hi, t, x, age)) / 2
    r, al, a, b = params.r, params.alpha, params.a, params.b
    if t <= 0:
        return np.zeros_like(x)
    with np.errstate(all="ignore"):
        z = t / (al + age + t)
        c = a + b + x - 1
        hyp = hyp2f1(a + b - 1 - r, a - 1, c, z)
        bracket = -np.expm1((a - 1) * np.log1p(-z) + np.log(hyp))
        counts = c / (a - 1) * bracket
        ceiling = (r + x) / (al + age) * t  # alive for all of t at the posterior mean rate
    counts = np.where(np.isfinite(counts), counts, ceiling)
    return np.clip(counts, 0.0, ceiling)


def _unique_pairs(x: Float, age: Float) -> tuple[Float, Float, Int]:
    """Distinct (x, T) pairs and the row -> pair index."""
    inv, first = group(age, x)
    return x[first], age[first], inv


def expected_purchases(
    params: BGNBDParams, t: float, frequency: Any, recency: Any, T: Any
) -> Float:
    """E[Y(t) | x, t_x, T]: expected purchases in the next t time units (eq. 10).

    Computed as P(alive) times the expectation given alive; the hypergeometric part is
    evaluated once per distinct (x, T).
    """
    _checked(params)
    x, tx, age = _inputs(frequency, recency, T)
    ux, uT, inv = _unique_pairs(x, age)
    counts = _alive_counts(params, check_horizon(t), ux, uT)[inv]
    return counts * _p_alive(params, x, tx, age)


def expected_purchases_new(params: BGNBDParams, t: float) -> float:
    """E[X(t)] for a new customer over their first t units (eq. 9):
    (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]."""
    value = _alive_counts(_checked(params), check_horizon(t), np.zeros(1), np.zeros(1))[0]
    return float(value)


def p_no_purchase(params: BGNBDParams, t: float, frequency: Any, recency: Any, T: Any) -> Float:
    """P(no purchase in the next t units | x, t_x, T): the churn-warning probability.

    = 1 - P(alive) + P(alive) ((alpha+T)/(alpha+T+t))^(r+x): a customer who is gone buys
    nothing; one alive at T (rate posterior Gamma(r+x, alpha+T), FHL 2005 section 5) buys
    nothing in t with probability E[exp(-lambda t)], and cannot drop out before buying.
    Unlike 1 - P(alive), it is not 0 for one-time buyers (P(alive) = 1 at x = 0).
    """
    _checked(params)
    t = check_horizon(t)
    x, tx, age = _inputs(frequency, recency, T)
    alive = _p_alive(params, x, tx, age)
    idle = np.exp((params.r + x) * (np.log(params.alpha + age) - np.log(params.alpha + age + t)))
    return np.clip(1.0 - alive + alive * np.nan_to_num(idle, nan=1.0), 0.0, 1.0)
