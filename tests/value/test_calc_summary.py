"""summarize(): the papers' conventions on small hand-made order lists."""

from __future__ import annotations

import numpy as np
import pytest

from kehu.value.calc.errors import FitError
from kehu.value.calc.summary import summarize


def test_same_day_orders_are_one_purchase_and_rows_may_be_unordered() -> None:
    # customer 7: days 10 (two orders), 12 (free sample), 20; customer 3: day 15 only
    s = summarize(
        [7, 3, 7, 7, 7, 7], [20, 15, 10, 12, 10, 99], [5.0, 8.0, 1.0, 0.0, 2.0, 50.0], as_of_day=30
    )
    np.testing.assert_array_equal(s.customer, [3, 7])
    np.testing.assert_array_equal(s.frequency, [0, 2])  # 12 and 20 are repeat days
    np.testing.assert_allclose(s.recency, [0.0, 10.0])
    np.testing.assert_allclose(s.T, [15.0, 20.0])
    np.testing.assert_allclose(s.monetary, [0.0, 5.0])  # the free sample is not spend
    np.testing.assert_array_equal(s.monetary_n, [0, 1])
    np.testing.assert_allclose(s.revenue, [8.0, 8.0])  # day 99 is after as_of
    np.testing.assert_array_equal(s.orders, [1, 4])
    np.testing.assert_array_equal(s.first_day, [15, 10])
    np.testing.assert_array_equal(s.last_day, [15, 20])


def test_repeat_day_value_is_the_day_total() -> None:
    s = summarize([1, 1, 1, 1], [1, 5, 5, 9], [100.0, 3.0, 4.0, 10.0], as_of_day=9, unit_days=7)
    assert s.monetary[0] == pytest.approx((7.0 + 10.0) / 2)
    assert s.recency[0] == pytest.approx(8 / 7) and s.T[0] == pytest.approx(8 / 7)


def test_empty_and_all_future() -> None:
    for rows in (([], [], []), ([1], [50], [3.0])):
        s = summarize(*rows, as_of_day=10)
        assert len(s) == 0 and s.frequency.dtype == np.int64 and s.T.dtype == np.float64


def test_wide_ids_and_days_fall_back_to_lexsort() -> None:
    s = summarize([2**61, 1, 2**61], [-(2**40), 3, 2**40], [1.0, 1.0, 2.0], as_of_day=2**41)
    np.testing.assert_array_equal(s.customer, [1, 2**61])
    np.testing.assert_array_equal(s.frequency, [0, 1])


@pytest.mark.parametrize(
    ("customer", "day", "value"),
    [
        ([1, 2], [1, 2], [1.0, np.nan]),
        ([1, 2], [1, 2.5], [1.0, 1.0]),
        ([1, 2], [1], [1.0, 1.0]),
        ([1, 2], [1, 2], ["a", 1.0]),
    ],
)
def test_bad_rows_are_invalid_input(customer: list, day: list, value: list) -> None:
    with pytest.raises(FitError) as err:
        summarize(customer, day, value, as_of_day=5)
    assert err.value.code == "invalid_input"


def test_unit_days_must_be_positive() -> None:
    with pytest.raises(FitError):
        summarize([1], [1], [1.0], as_of_day=5, unit_days=0)
