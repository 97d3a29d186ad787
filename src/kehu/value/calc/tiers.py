"""Star tiers (1-5) from thresholds on value and loyalty (source article 004)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._arrays import Int, floats, same_length
from .errors import FitError


def stars(value: Any, loyalty: Any, thresholds: Sequence[tuple[float, float]]) -> Int:
    """1..5 stars: the highest tier whose minimum value AND minimum loyalty are both met.

    ``thresholds`` holds 4 (min value, min loyalty) pairs for 2, 3, 4 and 5 stars; a
    customer meeting none gets 1 star. Tiers need not be nested.
    """
    if len(thresholds) != 4:
        raise FitError("invalid_input", {"field": "thresholds", "reason": "need 4 pairs"})
    val = floats("value", value)
    loy = floats("loyalty", loyalty)
    same_length(value=val, loyalty=loy)
    result = np.ones(len(val), dtype=np.int64)
    for tier, (min_value, min_loyalty) in enumerate(thresholds, start=2):
        meets = (val >= float(min_value)) & (loy >= float(min_loyalty))
        result[meets] = tier
    return result
