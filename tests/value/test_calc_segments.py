"""RFM scores, Pareto concentration, the 20/60/20 split and star tiers."""

from __future__ import annotations

import numpy as np
import pytest

from kehu.value.calc import pareto, rfm, tiers
from kehu.value.calc.errors import FitError


def test_quintiles_of_distinct_values() -> None:
    np.testing.assert_array_equal(rfm.scores(np.arange(10.0)), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
    np.testing.assert_array_equal(
        rfm.scores(np.arange(10.0), higher_is_better=False), [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    )


def test_ties_get_one_score() -> None:
    values = [1, 1, 1, 1, 1, 1, 2, 3, 4, 5]
    got = rfm.scores(values)
    assert len(set(got[:6])) == 1
    assert list(got[6:]) == sorted(got[6:]) and got[-1] == 5
    assert set(rfm.scores([7.0] * 20)) == {3}  # all equal: the middle
    np.testing.assert_array_equal(rfm.scores([0, 0, 9, 9]), [2, 2, 4, 4])


def test_fewer_values_than_bins_and_other_bins() -> None:
    np.testing.assert_array_equal(rfm.scores([5.0, 1.0]), [4, 2])
    np.testing.assert_array_equal(rfm.scores([3, 1, 2], bins=3), [3, 1, 2])
    assert rfm.scores([]).shape == (0,)
    with pytest.raises(FitError):
        rfm.scores([1.0, np.nan])
    with pytest.raises(FitError):
        rfm.scores([1.0], bins=0)


def test_rfm_directions() -> None:
    r, f, m = rfm.rfm([1, 100, 50], [10, 1, 5], [300.0, 10.0, 20.0], bins=3)
    np.testing.assert_array_equal(r, [3, 1, 2])
    np.testing.assert_array_equal(f, [3, 1, 2])
    np.testing.assert_array_equal(m, [3, 1, 2])


def test_concentration_curve() -> None:
    share, value = pareto.concentration([1.0, 1, 1, 1, 1, 1, 1, 1, 10, 10], points=11)
    np.testing.assert_allclose(share, np.linspace(0, 1, 11))
    assert value[0] == 0 and value[-1] == pytest.approx(1.0)
    assert value[2] == pytest.approx(20 / 28)  # top 20 % = the two big customers
    assert np.all(np.diff(value) >= 0)


def test_share_of_top_and_negatives() -> None:
    assert pareto.share_of_top([80.0] + [5.0] * 4, 0.2) == pytest.approx(0.8)
    assert pareto.share_of_top(np.arange(1.0, 11.0), 0.25) == pytest.approx((10 + 9 + 4) / 55)
    _, value = pareto.concentration([10.0, 5.0, -5.0], points=4)
    assert value.max() > 1 and value[-1] == pytest.approx(1.0)
    _, value = pareto.concentration([-1.0, -2.0])
    assert np.all(np.isfinite(value)) and np.all(value == 0)
    assert pareto.share_of_top([]) == 0.0
    assert np.all(pareto.concentration([])[1] == 0)


def test_split_20_60_20() -> None:
    profit = np.array([100.0, 80, 50, 40, 30, 20, 10, 5, -1, -20])
    got = pareto.split_20_60_20(profit)
    np.testing.assert_array_equal(got, [1, 1, 0, 0, 0, 0, 0, 0, -1, -1])
    assert got.dtype == np.int8
    # cost to serve: a customer below their cost is -1, even when in the top by profit
    cost = np.array([150.0, 0, 0, 0, 0, 0, 0, 10, 0, 0])
    np.testing.assert_array_equal(
        pareto.split_20_60_20(profit, cost), [-1, 1, 0, 0, 0, 0, 0, -1, -1, -1]
    )
    # ties at the boundary get the same label
    np.testing.assert_array_equal(pareto.split_20_60_20([5.0, 5.0, 5.0, 1.0, 0.0]), [1, 1, 1, 0, 0])
    assert pareto.split_20_60_20([]).shape == (0,)


def test_stars() -> None:
    thresholds = [(100, 1), (500, 2), (2000, 4), (10000, 8)]
    got = tiers.stars([0, 150, 600, 600, 20000, 20000], [0, 1, 1, 3, 10, 5], thresholds)
    np.testing.assert_array_equal(got, [1, 2, 2, 3, 5, 4])
    with pytest.raises(FitError):
        tiers.stars([1.0], [1.0], thresholds[:3])


def test_stars_thresholds_not_nested() -> None:
    thresholds = [(10, 0), (0, 10), (1000, 0), (0, 1000)]
    np.testing.assert_array_equal(tiers.stars([20, 20, 5000], [0, 20, 0], thresholds), [2, 3, 4])
