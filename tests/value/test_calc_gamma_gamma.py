"""Gamma-Gamma: likelihood, expected spend and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import gammaln

from kehu.value.calc import gamma_gamma
from kehu.value.calc.errors import FitError

PARAMS = gamma_gamma.GammaGammaParams(p=6.25, q=3.74, v=15.44)


def test_log_likelihood_matches_the_formula() -> None:
    p, q, v = PARAMS.p, PARAMS.q, PARAMS.v
    x, m = np.array([1.0, 3, 3, 10]), np.array([10.0, 25.5, 25.5, 40])
    want = np.sum(
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(v + x * m)
    )
    assert gamma_gamma.log_likelihood(PARAMS, x, m) == pytest.approx(want, rel=1e-12)
    # rows without a valued repeat purchase are not part of the model
    assert gamma_gamma.log_likelihood(PARAMS, [*x, 0, 2], [*m, 0, 0]) == pytest.approx(want)


def test_analytic_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(5)
    x = rng.integers(1, 12, 500).astype(float)
    m = rng.gamma(3.0, 10.0, 500)
    data = gamma_gamma._compress(x, m, np.ones(500), float(m.mean()))
    theta = np.log([4.0, 3.0, 0.8])
    _, grad = gamma_gamma._loglik_grad(theta, data)
    params = np.exp(theta)
    for i in range(3):
        step = np.zeros(3)
        step[i] = 1e-6 * params[i]
        up = gamma_gamma._loglik_grad(np.log(params + step), data)[0]
        down = gamma_gamma._loglik_grad(np.log(params - step), data)[0]
        assert grad[i] == pytest.approx((up - down) / (2 * step[i]), rel=1e-5)


def test_expected_value_shrinks_towards_population_mean() -> None:
    p, q, v = PARAMS.p, PARAMS.q, PARAMS.v
    got = gamma_gamma.expected_value(PARAMS, [0, 2, 2, 200], [0.0, 22.35, 0.0, 22.35])
    population = p * v / (q - 1)
    assert got[0] == pytest.approx(population) and got[2] == pytest.approx(population)
    assert got[1] == pytest.approx((p * v + p * 2 * 22.35) / (p * 2 + q - 1))
    assert abs(got[3] - 22.35) < abs(got[1] - 22.35)


def test_expected_value_never_nan_when_q_at_most_one() -> None:
    got = gamma_gamma.expected_value(gamma_gamma.GammaGammaParams(2.0, 0.5, 3.0), [0, 1], [0, 5.0])
    assert np.all(np.isfinite(got)) and got[0] == 0.0 and got[1] > 0


@pytest.mark.parametrize(
    ("x", "m", "code"),
    [
        ([], [], "no_data"),
        ([1], [10.0], "insufficient_data"),
        ([0] * 300, [0.0] * 300, "insufficient_data"),  # everyone bought once
        ([2] * 300, [0.0] * 300, "insufficient_data"),  # only free samples repeated
        ([1, np.nan], [1.0, 2.0], "invalid_input"),
        ([1, 1], [-1.0, 2.0], "invalid_input"),
        ([1, 1], [1.0], "invalid_input"),
    ],
)
def test_fit_bad_input(x: list, m: list, code: str) -> None:
    with pytest.raises(FitError) as err:
        gamma_gamma.fit(x, m)
    assert err.value.code == code


def test_zero_value_rows_are_left_out_of_the_fit() -> None:
    rng = np.random.default_rng(6)
    x = rng.integers(1, 6, 400).astype(float)
    m = rng.gamma(4.0, 5.0, 400)
    base = gamma_gamma.fit(x, m)
    more = gamma_gamma.fit([*x, 3, 0], [*m, 0.0, 0.0])
    assert more.n == base.n == 400
    assert more.params.p == pytest.approx(base.params.p, rel=1e-9)


def test_identical_spend_does_not_converge_or_fits_cleanly() -> None:
    """Every customer spends exactly the same: the fit may run off (p, v -> inf); either a
    clean fit or no_convergence, never NaN parameters."""
    try:
        fit = gamma_gamma.fit(np.full(300, 3.0), np.full(300, 20.0))
    except FitError as err:
        assert err.code == "no_convergence"
    else:
        assert all(np.isfinite([fit.params.p, fit.params.q, fit.params.v]))
