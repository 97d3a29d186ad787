"""Row grouping (the condensed data behind the fits) and parameter checks."""

from __future__ import annotations

import numpy as np
import pytest

from kehu.value.calc import bgnbd, clv, gamma_gamma
from kehu.value.calc._groups import group
from kehu.value.calc.errors import FitError
from kehu.value.calc.simulate import simulate


def check(*cols: np.ndarray) -> None:
    inverse, first = group(*cols)
    rows = np.stack(cols, axis=1)
    assert len(first) == len(np.unique(rows, axis=0))
    np.testing.assert_array_equal(rows[first][inverse], rows)


@pytest.mark.parametrize("seed", [0, 1])
def test_group_matches_unique_rows(seed: int) -> None:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 30, 5000).astype(float)
    days = rng.integers(0, 400, 5000).astype(float)
    check(small)  # dense counting
    check(small, days, days[::-1].copy())
    check(small * 2.0**35, days * 2.0**30)  # wide whole numbers: packed key or floats
    real = np.round(rng.random(5000) * 50, 1)  # real numbers with many ties
    check(real, small)
    check(rng.random(5000), small, days)  # real numbers, no ties
    check(np.array([-3.0, -3.0, 2.5, -0.0, 0.0]))


def test_group_empty_and_one() -> None:
    inverse, first = group(np.zeros(0))
    assert len(inverse) == len(first) == 0
    inverse, first = group(np.array([4.0]))
    assert list(inverse) == [0] and list(first) == [0]


def test_fit_is_the_same_with_weights_or_rows() -> None:
    bg = bgnbd.BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
    gg = gamma_gamma.GammaGammaParams(p=6.25, q=3.74, v=15.44)
    x, tx, T, _ = simulate(bg, gg, 3000, T=39.0, seed=5)
    tx = np.round(tx)  # whole weeks: many identical rows
    rows = np.stack([x, tx, T], axis=1)
    unique, counts = np.unique(rows, axis=0, return_counts=True)
    plain = bgnbd.fit(x, tx, T)
    weighted = bgnbd.fit(*unique.T, weights=counts)
    assert weighted.params.r == pytest.approx(plain.params.r, rel=1e-9)
    assert weighted.params.b == pytest.approx(plain.params.b, rel=1e-9)
    assert weighted.log_likelihood == pytest.approx(plain.log_likelihood, rel=1e-12)
    assert weighted.n == plain.n == 3000


@pytest.mark.parametrize(
    "call",
    [
        lambda: bgnbd.p_alive(bgnbd.BGNBDParams(0.0, 1.0, 1.0, 1.0), [1], [1.0], [2.0]),
        lambda: bgnbd.expected_purchases(
            bgnbd.BGNBDParams(1.0, float("nan"), 1.0, 1.0), 5.0, [1], [1.0], [2.0]
        ),
        lambda: bgnbd.expected_purchases(
            bgnbd.BGNBDParams(1.0, 1.0, 1.0, 1.0), -5.0, [1], [1.0], [2.0]
        ),
        lambda: bgnbd.p_no_purchase(
            bgnbd.BGNBDParams(1.0, 1.0, 1.0, 1.0), float("inf"), [1], [1.0], [2.0]
        ),
        lambda: gamma_gamma.expected_value(
            gamma_gamma.GammaGammaParams(1.0, -2.0, 1.0), [1], [1.0]
        ),
        lambda: clv.clv(
            bgnbd.BGNBDParams(1.0, 1.0, 1.0, 1.0),
            gamma_gamma.GammaGammaParams(1.0, 2.0, 1.0),
            [1],
            [1.0],
            [2.0],
            [1.0],
            months=-1,
        ),
    ],
)
def test_bad_parameters_are_invalid_input(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FitError) as err:
        call()
    assert err.value.code == "invalid_input"
