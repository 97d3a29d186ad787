"""BG/NBD: likelihood, gradient, scoring formulas and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import betaln, gammaln, hyp2f1

from kehu.value.calc import bgnbd
from kehu.value.calc.errors import FitError
from kehu.value.calc.gamma_gamma import GammaGammaParams
from kehu.value.calc.simulate import simulate

CDNOW = bgnbd.BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
GG = GammaGammaParams(p=6.25, q=3.74, v=15.44)


def paper_loglik(params: bgnbd.BGNBDParams, x: float, tx: float, T: float) -> float:
    """Eq. 6 of FHL (2005) term by term, for one customer."""
    r, al, a, b = params.r, params.alpha, params.a, params.b
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(al)
    first = np.exp(betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(al + T))
    second = 0.0
    if x > 0:
        second = np.exp(betaln(a + 1, b + x - 1) - betaln(a, b) - (r + x) * np.log(al + tx))
    return float(a1 + np.log(first + second))


def test_log_likelihood_matches_the_paper_formula() -> None:
    rows = [(0, 0.0, 30.0), (1, 2.0, 30.0), (5, 20.0, 38.0), (40, 37.0, 38.0)]
    x, tx, T = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
    want = sum(paper_loglik(CDNOW, *row) for row in rows)
    assert bgnbd.log_likelihood(CDNOW, x, tx, T) == pytest.approx(want, rel=1e-12)


def test_weights_equal_repeated_rows() -> None:
    x, tx, T = [0, 2, 3], [0.0, 4.0, 9.0], [10.0, 10.0, 12.0]
    weighted = bgnbd.log_likelihood(CDNOW, x, tx, T, weights=[3, 1, 2])
    repeated = bgnbd.log_likelihood(
        CDNOW, [0, 0, 0, 2, 3, 3], [0, 0, 0, 4, 9, 9], [10] * 4 + [12] * 2
    )
    assert weighted == pytest.approx(repeated, rel=1e-12)


def test_analytic_gradient_matches_finite_differences() -> None:
    x, tx, T, _ = simulate(CDNOW, GG, 3000, T=39.0, seed=3)
    data = bgnbd._compress(x, tx, T, np.ones(len(x)), 3.9)
    theta = np.log([0.3, 2.0, 0.7, 2.0])
    _, grad = bgnbd._loglik_grad(theta, data)
    params = np.exp(theta)
    for i in range(4):
        step = np.zeros(4)
        step[i] = 1e-6 * params[i]
        up = bgnbd._loglik_grad(np.log(params + step), data)[0]
        down = bgnbd._loglik_grad(np.log(params - step), data)[0]
        assert grad[i] == pytest.approx((up - down) / (2 * step[i]), rel=1e-5)


def test_p_alive_formula_and_one_time_buyers() -> None:
    got = bgnbd.p_alive(CDNOW, [0, 2, 2], [0.0, 30.43, 5.0], [38.86, 38.86, 38.86])
    d = CDNOW.a / (CDNOW.b + 1) * ((CDNOW.alpha + 38.86) / (CDNOW.alpha + 30.43)) ** (CDNOW.r + 2)
    assert got[0] == 1.0
    assert got[1] == pytest.approx(1 / (1 + d), rel=1e-12)
    assert got[2] < got[1]


def test_expected_purchases_matches_lifetimes_form_of_eq_10() -> None:
    """Eq. 10 with 2F1(r+x, b+x; a+b+x-1; z) computed directly (as lifetimes does)."""
    r, al, a, b = CDNOW.r, CDNOW.alpha, CDNOW.a, CDNOW.b
    x, tx, T, t = np.array([0.0, 1, 4, 10]), np.array([0.0, 5, 20, 30]), np.full(4, 35.0), 39.0
    z = t / (al + T + t)
    direct = (
        (a + b + x - 1)
        / (a - 1)
        * (1 - ((al + T) / (al + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
    )
    want = direct * bgnbd.p_alive(CDNOW, x, tx, T)
    np.testing.assert_allclose(bgnbd.expected_purchases(CDNOW, t, x, tx, T), want, rtol=1e-9)


def test_expected_purchases_new_by_integration() -> None:
    """E[X(t)] = E over lambda, p of the capped geometric count, by numerical integration."""
    params, t = bgnbd.BGNBDParams(r=2.0, alpha=5.0, a=1.5, b=3.0), 10.0

    def count(lam: float, p: float) -> float:  # E[X(t) | lambda, p] (FHL 2005 eq. 8)
        return (1 - np.exp(-lam * p * t)) / p

    def beta_pdf(p: float) -> float:
        log_pdf = (params.a - 1) * np.log(p) + (params.b - 1) * np.log1p(-p)
        return float(np.exp(log_pdf - betaln(params.a, params.b)))

    def gamma_pdf(lam: float) -> float:
        log_pdf = params.r * np.log(params.alpha) + (params.r - 1) * np.log(lam)
        return float(np.exp(log_pdf - params.alpha * lam - gammaln(params.r)))

    def over_p(lam: float) -> float:
        return quad(lambda p: count(lam, p) * beta_pdf(p), 0, 1)[0]

    want = quad(lambda lam: over_p(lam) * gamma_pdf(lam), 0, np.inf)[0]
    assert bgnbd.expected_purchases_new(params, t) == pytest.approx(want, rel=1e-6)


def test_a_equal_to_one_is_continuous() -> None:
    args = (39.0, [3], [20.0], [35.0])
    near = [
        bgnbd.expected_purchases(bgnbd.BGNBDParams(0.5, 4.0, a, 2.0), *args)[0]
        for a in (1 - 1e-3, 1.0, 1 + 1e-3)
    ]
    assert np.isfinite(near[1]) and near[0] > near[1] > near[2] > 0


def test_extreme_customers_stay_finite() -> None:
    x = np.array([0, 1, 500, 5000, 3.0])
    tx = np.array([0, 1e-9, 999.0, 1000.0, 0.0])
    T = np.array([0.0, 1000, 1000, 1000, 1e6])
    for t in (0.0, 1.0, 90.0, 1e5):
        got = bgnbd.expected_purchases(CDNOW, t, x, tx, T)
        assert np.all(np.isfinite(got)) and np.all(got >= 0)
    assert np.all(np.isfinite(bgnbd.p_alive(CDNOW, x, tx, T)))


def test_compressed_scoring_equals_row_by_row() -> None:
    x, tx, T, _ = simulate(CDNOW, GG, 20_000, T=np.tile([30.0, 35.0, 38.0, 39.0], 5000), seed=4)
    many = bgnbd.expected_purchases(CDNOW, 13.0, x, tx, T)
    few = np.concatenate(
        [
            bgnbd.expected_purchases(
                CDNOW, 13.0, x[i : i + 1000], tx[i : i + 1000], T[i : i + 1000]
            )
            for i in range(0, 20_000, 1000)
        ]
    )
    np.testing.assert_allclose(many, few, rtol=1e-12)


@pytest.mark.parametrize(
    ("x", "tx", "T", "code"),
    [
        ([], [], [], "no_data"),
        ([1], [2.0], [5.0], "insufficient_data"),
        ([0] * 500, [0.0] * 500, [10.0] * 500, "insufficient_data"),
        ([1, np.nan], [1.0, 1.0], [2.0, 2.0], "invalid_input"),
        ([1, 1], [1.0, np.inf], [2.0, 2.0], "invalid_input"),
        ([-1, 1], [1.0, 1.0], [2.0, 2.0], "invalid_input"),
        ([1, 1], [3.0, 1.0], [2.0, 2.0], "invalid_input"),
        ([1.5, 1], [1.0, 1.0], [2.0, 2.0], "invalid_input"),
        ([0, 1], [1.0, 1.0], [2.0, 2.0], "invalid_input"),
        ([1, 1], [1.0, 1.0], [2.0], "invalid_input"),
    ],
)
def test_fit_bad_input(x: list, tx: list, T: list, code: str) -> None:
    with pytest.raises(FitError) as err:
        bgnbd.fit(x, tx, T)
    assert err.value.code == code


def test_insufficient_data_reports_counts() -> None:
    with pytest.raises(FitError) as err:
        bgnbd.fit([1] * 150 + [0] * 1000, [1.0] * 150 + [0.0] * 1000, [5.0] * 1150)
    assert err.value.detail == {"customers": 1150, "repeat": 150, "min_repeat": 200}


def test_degenerate_data_does_not_converge() -> None:
    """Everyone buys at the very end of a fixed rhythm: no maximum inside the bounds."""
    n = 400
    with pytest.raises(FitError) as err:
        bgnbd.fit(np.full(n, 10), np.full(n, 10.0), np.full(n, 10.0))
    assert err.value.code == "no_convergence"


def test_zero_weights_are_no_data() -> None:
    with pytest.raises(FitError) as err:
        bgnbd.fit([1, 2], [1.0, 2.0], [3.0, 3.0], weights=[0, 0])
    assert err.value.code == "no_data"


def test_p_no_purchase_limits_and_one_time_buyers() -> None:
    x, tx, T = [0, 3, 3], [0.0, 30.0, 5.0], [38.0, 38.0, 38.0]
    alive = bgnbd.p_alive(CDNOW, x, tx, T)
    assert np.all(bgnbd.p_no_purchase(CDNOW, 0.0, x, tx, T) == 1.0)
    np.testing.assert_allclose(bgnbd.p_no_purchase(CDNOW, 1e40, x, tx, T), 1 - alive, atol=1e-6)
    got = bgnbd.p_no_purchase(CDNOW, 39.0, x, tx, T)
    assert got[0] == pytest.approx(((CDNOW.alpha + 38) / (CDNOW.alpha + 77)) ** CDNOW.r)
    assert got[2] > got[1] and np.all((got > 0) & (got < 1))


def test_p_no_purchase_matches_simulation() -> None:
    """Among customers with no repeat purchase after 38 weeks (all alive: nobody drops out
    before buying again), the share still without one at 77 weeks is the model's
    probability of no purchase in the next 39 weeks at x = 0, T = 38."""
    x77, *_ = simulate(CDNOW, GG, 400_000, T=77.0, seed=12)
    x38, *_ = simulate(CDNOW, GG, 400_000, T=38.0, seed=13)
    want = bgnbd.p_no_purchase(CDNOW, 39.0, [0], [0.0], [38.0])[0]
    assert np.mean(x77 == 0) / np.mean(x38 == 0) == pytest.approx(want, rel=0.01)
