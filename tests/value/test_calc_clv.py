"""CLV: lifetimes' discounted monthly sum, checked against expected_purchases directly."""

from __future__ import annotations

import numpy as np
import pytest

from kehu.value.calc import bgnbd, clv, gamma_gamma
from kehu.value.calc.errors import FitError
from kehu.value.calc.simulate import simulate

BG = bgnbd.BGNBDParams(r=0.243, alpha=4.414 * 7, a=0.793, b=2.426)
GG = gamma_gamma.GammaGammaParams(p=6.25, q=3.74, v=15.44)


def by_hand(x, tx, T, m, months: int, d: float) -> np.ndarray:  # type: ignore[no-untyped-def]
    spend = gamma_gamma.expected_value(GG, x, m)
    total = np.zeros(len(x))
    for i in range(1, months + 1):
        now = bgnbd.expected_purchases(BG, 30 * i, x, tx, T)
        before = bgnbd.expected_purchases(BG, 30 * (i - 1), x, tx, T)
        total += (now - before) * spend / (1 + d) ** i
    return total


def test_clv_equals_the_monthly_sum() -> None:
    x, tx, T, m = [0, 1, 4, 12], [0.0, 30, 200, 260], [270.0, 270, 270, 270], [0, 20, 15, 40.0]
    got = clv.clv(BG, GG, x, tx, T, m, months=12, monthly_discount=0.01)
    np.testing.assert_allclose(got, by_hand(x, tx, T, m, 12, 0.01), rtol=1e-10)


def test_clv_in_weeks_equals_clv_in_days() -> None:
    weekly = bgnbd.BGNBDParams(BG.r, BG.alpha / 7, BG.a, BG.b)
    x, tx, T, m = [3, 0], [140.0, 0], [210.0, 210], [30.0, 0]
    days = clv.clv(BG, GG, x, tx, T, m)
    weeks = clv.clv(weekly, GG, x, np.divide(tx, 7), np.divide(T, 7), m, unit_days=7)
    np.testing.assert_allclose(days, weeks, rtol=1e-9)


def test_compressed_large_input_matches() -> None:
    x, tx, T, m = simulate(BG, GG, 12_000, T=np.repeat([200.0, 250.0, 270.0], 4000), seed=2)
    got = clv.clv(BG, GG, x, tx, T, m, months=6)
    np.testing.assert_allclose(got[:50], by_hand(x[:50], tx[:50], T[:50], m[:50], 6, 0.01))
    assert np.all(np.isfinite(got)) and np.all(got >= 0)


def test_discount_and_horizon() -> None:
    args = (BG, GG, [4], [200.0], [270.0], [30.0])
    assert clv.clv(*args, months=0)[0] == 0.0
    assert clv.clv(*args, months=24)[0] > clv.clv(*args, months=12)[0]
    assert clv.clv(*args, monthly_discount=0.05)[0] < clv.clv(*args, monthly_discount=0.0)[0]


def test_monetary_n_separates_free_samples() -> None:
    # 3 repeat purchases, only 1 paid (30.0): the spend model sees x = 1
    one = clv.clv(BG, GG, [3], [200.0], [270.0], [30.0], monetary_n=[1])[0]
    three = clv.clv(BG, GG, [3], [200.0], [270.0], [30.0])[0]
    assert 0 < one != three


def test_bad_arguments() -> None:
    with pytest.raises(FitError):
        clv.clv(BG, GG, [1], [1.0], [2.0], [np.nan])
    with pytest.raises(FitError):
        clv.clv(BG, GG, [1], [1.0], [2.0], [1.0], unit_days=0)
