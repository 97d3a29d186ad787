"""simulate(): the fits recover the parameters they were simulated from."""

from __future__ import annotations

import numpy as np
import pytest

from kehu.value.calc import bgnbd, gamma_gamma
from kehu.value.calc.simulate import simulate

BG = bgnbd.BGNBDParams(r=0.243, alpha=4.414 * 7, a=0.793, b=2.426)  # CDNOW, per day
GG = gamma_gamma.GammaGammaParams(p=6.25, q=3.74, v=15.44)


def test_fit_recovers_simulated_parameters() -> None:
    rng = np.random.default_rng(8)
    T = rng.integers(180, 273, 60_000).astype(float)
    x, tx, age, m = simulate(BG, GG, 60_000, T=T, seed=9)
    assert np.all(tx <= age) and np.all((x > 0) == (tx > 0)) and np.all((x > 0) == (m > 0))
    bg = bgnbd.fit(x, tx, age).params
    for got, want in ((bg.r, BG.r), (bg.alpha, BG.alpha), (bg.a, BG.a), (bg.b, BG.b)):
        assert got == pytest.approx(want, rel=0.1)
    gg = gamma_gamma.fit(x, m).params
    for got, want in ((gg.p, GG.p), (gg.q, GG.q), (gg.v, GG.v)):
        assert got == pytest.approx(want, rel=0.15)


def test_repeat_share_matches_the_model() -> None:
    """P(x = 0) over a fixed T equals the BG/NBD probability of no repeat purchase,
    (alpha/(alpha+T))^r (eq. 8 at x = 0)."""
    x, *_ = simulate(BG, GG, 200_000, T=273.0, seed=10)
    want = (BG.alpha / (BG.alpha + 273.0)) ** BG.r
    assert np.mean(x == 0) == pytest.approx(want, abs=0.005)


def test_simulate_is_reproducible_and_bounded() -> None:
    a = simulate(BG, GG, 100, T=10.0, seed=1)
    b = simulate(BG, GG, 100, T=10.0, seed=1)
    for left, right in zip(a, b, strict=True):
        np.testing.assert_array_equal(left, right)
    x, tx, T, m = simulate(BG, GG, 0, T=10.0)
    assert len(x) == len(tx) == len(T) == len(m) == 0
