"""MBG/NBD against lifetimes' ModifiedBetaGeoFitter on the CDNOW calibration summary.

lifetimes 0.11.3 (``ModifiedBetaGeoFitter().fit`` on tests/data/cdnow/cdnow_customers_summary.csv,
weeks) gives r = 0.524838, alpha = 6.182988, a = 0.891356, b = 1.614000 and a total
log-likelihood of -9582.1327; its test suite pins the same parameters to BTYDplus
(0.525, 6.183, 0.891, 1.614). The scores below were computed with that fitted model by
lifetimes' conditional_probability_alive, conditional_expected_number_of_purchases_up_to_time
and expected_number_of_purchases_up_to_time.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest
from scipy.special import hyp2f1

from kehu.value.calc import bgnbd, clv, gamma_gamma, mbgnbd
from kehu.value.calc.errors import FitError

DATA = Path(__file__).resolve().parent.parent / "data" / "cdnow"
LIFETIMES = mbgnbd.MBGNBDParams(r=0.524838, alpha=6.182988, a=0.891356, b=1.614000)
# (x, t_x, T) -> lifetimes' P(alive) and expected purchases in the next 39 weeks
CASES = np.array([[0, 0, 38.86], [0, 0, 10.0], [2, 30.43, 38.86], [5, 10.0, 38.0]])
P_ALIVE = [0.38971644, 0.52217279, 0.70612626, 0.02806317]
EXPECTED_39 = [0.15395364, 0.4825158, 1.26267078, 0.1076896]


@cache
def cdnow() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = np.genfromtxt(DATA / "cdnow_customers_summary.csv", delimiter=",", names=True)
    return d["frequency"], d["recency"], d["T"]


@cache
def fitted() -> mbgnbd.MBGNBDFit:
    return mbgnbd.fit(*cdnow())


def test_fit_reproduces_lifetimes_parameters_and_likelihood() -> None:
    fit = fitted()
    for name in ("r", "alpha", "a", "b"):
        assert getattr(fit.params, name) == pytest.approx(getattr(LIFETIMES, name), rel=1e-4)
    assert fit.log_likelihood == pytest.approx(-9582.1327, abs=1e-3)
    assert fit.converged and fit.n == 2357 and fit.repeat == 946
    assert mbgnbd.log_likelihood(LIFETIMES, *cdnow()) == pytest.approx(-9582.1327, abs=1e-3)


def test_scores_match_lifetimes() -> None:
    x, tx, T = CASES.T
    np.testing.assert_allclose(mbgnbd.p_alive(fitted().params, x, tx, T), P_ALIVE, rtol=1e-5)
    got = mbgnbd.expected_purchases(fitted().params, 39, x, tx, T)
    np.testing.assert_allclose(got, EXPECTED_39, rtol=1e-5)
    new = [mbgnbd.expected_purchases_new(fitted().params, t) for t in (39.0, 78.0)]
    np.testing.assert_allclose(new, [1.1822838, 1.80363619], rtol=1e-5)


def test_expected_purchases_is_wagner_hoppe_formula_directly() -> None:
    """(a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; z)] / (1 + ...)."""
    p = LIFETIMES
    x, tx, T = CASES.T
    t = 20.0
    z = t / (p.alpha + T + t)
    hyp = hyp2f1(p.r + x, p.b + x + 1, p.a + p.b + x, z)
    num = (p.a + p.b + x) / (p.a - 1) * (1 - hyp * ((p.alpha + T) / (p.alpha + T + t)) ** (p.r + x))
    den = 1 + p.a / (p.b + x) * ((p.alpha + T) / (p.alpha + tx)) ** (p.r + x)
    np.testing.assert_allclose(mbgnbd.expected_purchases(p, t, x, tx, T), num / den, rtol=1e-9)


def test_gradient_matches_finite_differences() -> None:
    x, tx, T = bgnbd._inputs(*cdnow())
    data = mbgnbd._compress(x, tx, T, np.ones(len(x)), 1.0)
    params = np.array([0.6, 5.0, 0.8, 2.0])
    ll, grad = mbgnbd._loglik_grad(np.log(params), data)
    for i in range(4):
        moved = params.copy()
        moved[i] += 1e-6
        numeric = (mbgnbd._loglik_grad(np.log(moved), data)[0] - ll) / 1e-6
        assert grad[i] == pytest.approx(numeric, rel=1e-4)


def test_a_one_time_buyer_is_not_alive_forever() -> None:
    """BG/NBD: P(alive) = 1 for every one-time buyer; MBG/NBD: it falls with time."""
    bg = bgnbd.fit(*cdnow()).params
    T = np.array([1.0, 10.0, 39.0, 200.0])
    zero = np.zeros(4)
    assert (bgnbd.p_alive(bg, zero, zero, T) == 1).all()
    alive = mbgnbd.p_alive(fitted().params, zero, zero, T)
    assert (alive < 1).all() and (np.diff(alive) < 0).all()
    assert alive[-1] < 0.25


def test_fit_in_days_scales_alpha_by_seven() -> None:
    x, tx, T = cdnow()
    days = mbgnbd.fit(x, tx * 7, T * 7).params
    assert days.alpha == pytest.approx(7 * fitted().params.alpha, rel=1e-6)
    for name in ("r", "a", "b"):
        assert getattr(days, name) == pytest.approx(getattr(fitted().params, name), rel=1e-6)


def test_too_few_repeat_buyers_and_bad_input_are_fit_errors() -> None:
    with pytest.raises(FitError) as caught:
        mbgnbd.fit([0, 1, 0], [0, 2, 0], [5, 5, 5])
    assert caught.value.code == "insufficient_data"
    with pytest.raises(FitError):
        mbgnbd.p_alive(mbgnbd.MBGNBDParams(r=-1, alpha=1, a=1, b=1), [1], [1], [2])
    with pytest.raises(FitError):
        mbgnbd.p_alive(LIFETIMES, [1], [3], [2])  # recency after T


def test_no_purchase_probability_and_clv_use_the_model() -> None:
    p = fitted().params
    x, tx, T = CASES.T
    quiet = mbgnbd.p_no_purchase(p, 39, x, tx, T)
    alive = mbgnbd.p_alive(p, x, tx, T)
    assert ((quiet >= 1 - alive) & (quiet <= 1)).all()
    gg = gamma_gamma.GammaGammaParams(p=6.25, q=3.74, v=15.44)
    spend = np.array([0.0, 0.0, 30.0, 40.0])
    value = clv.clv(p, gg, x, tx, T, spend, months=3, monthly_discount=0.0, unit_days=7.0)
    months = 30.0 / 7.0
    want = mbgnbd.expected_purchases(p, 3 * months, x, tx, T) * gamma_gamma.expected_value(
        gg, x, spend
    )
    np.testing.assert_allclose(value, want, rtol=1e-9)
