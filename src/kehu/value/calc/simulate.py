"""Synthetic customers drawn from BG/NBD and Gamma-Gamma (for tests and benchmarks).

Generative story of Fader, Hardie & Lee (2005) and Fader & Hardie (2013): each customer
has lambda ~ Gamma(r, rate alpha), p ~ Beta(a, b), nu ~ Gamma(q, rate v); starting with a
first purchase at time 0 they buy at Poisson rate lambda and drop out right after each
repeat purchase with probability p; each repeat purchase is worth Gamma(p_gg, rate nu).
"""

from __future__ import annotations

import numpy as np

from ._arrays import Float, check_params
from .bgnbd import BGNBDParams
from .errors import FitError
from .gamma_gamma import GammaGammaParams


def simulate(
    bg: BGNBDParams, gg: GammaGammaParams, n: int, *, T: float | np.ndarray, seed: int = 0
) -> tuple[Float, Float, Float, Float]:
    """(frequency, recency, T, monetary) of ``n`` simulated customers, no loops.

    With N ~ Poisson(lambda T) purchase opportunities in (0, T] and K ~ Geometric(p) the
    repeat purchase after which the customer drops out, x = min(N, K); the x-th of N
    uniform event times has t_x / T ~ Beta(x, N - x + 1). The mean of x Gamma(p, nu)
    values is Gamma(p x, nu) / x. ``T`` is one age for all or one per customer.
    """
    if n < 0:
        raise FitError("invalid_input", {"field": "n", "reason": "negative"})
    check_params("bgnbd", r=bg.r, alpha=bg.alpha, a=bg.a, b=bg.b)
    check_params("gamma_gamma", p=gg.p, q=gg.q, v=gg.v)
    rng = np.random.default_rng(seed)
    age = np.broadcast_to(np.asarray(T, dtype=np.float64), (n,)).copy()
    if (~np.isfinite(age)).any() or (age < 0).any():
        raise FitError("invalid_input", {"field": "T", "reason": "not finite or negative"})
    lam = rng.gamma(bg.r, 1.0 / bg.alpha, n)
    drop = rng.beta(bg.a, bg.b, n)
    chances = rng.poisson(lam * age)
    last = rng.geometric(np.clip(drop, 1e-300, 1.0))
    x = np.minimum(chances, last)
    rep = x > 0
    recency = np.zeros(n)
    recency[rep] = age[rep] * rng.beta(x[rep], chances[rep] - x[rep] + 1)
    nu = rng.gamma(gg.q, 1.0 / gg.v, n)
    monetary = np.zeros(n)
    monetary[rep] = rng.gamma(gg.p * x[rep], 1.0 / nu[rep]) / x[rep]
    return x.astype(np.float64), recency, age, monetary
