"""AUC by ranks against a hand-counted example."""

from __future__ import annotations

import numpy as np
import pytest

from kehu.value.calc.errors import FitError
from kehu.value.calc.metrics import auc


def test_auc_hand_example() -> None:
    # positives scored 0.9, 0.4, 0.6; negatives 0.5, 0.1: pairs won 2 + 1 + 2 = 5 of 6
    assert auc([0.9, 0.5, 0.4, 0.1, 0.6], [1, 0, 1, 0, 1]) == pytest.approx(5 / 6)


def test_auc_ties_count_half() -> None:
    assert auc([0.5, 0.5], [1, 0]) == pytest.approx(0.5)
    assert auc([1.0, 0.5, 0.5, 0.0], [1, 1, 0, 0]) == pytest.approx((2 + 1.5) / 4)


def test_auc_extremes_and_undefined() -> None:
    assert auc(np.arange(10.0), np.arange(10) >= 5) == 1.0
    assert auc(-np.arange(10.0), np.arange(10) >= 5) == 0.0
    with pytest.raises(FitError) as err:
        auc([0.1, 0.2], [1, 1])
    assert err.value.code == "insufficient_data"
    with pytest.raises(FitError):
        auc([np.nan, 0.2], [1, 0])
