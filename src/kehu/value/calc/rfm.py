"""RFM scores: recency, frequency, monetary value as rank-based quantile scores.

Hughes (1994), "Strategic Database Marketing": customers are split into ``bins`` groups of
(about) equal size per dimension, 5 = best. Here the split uses average ranks, so equal
values always get the same score and fewer distinct values than bins still works.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._arrays import Int, floats, same_length
from .errors import FitError


def scores(values: Any, bins: int = 5, *, higher_is_better: bool = True) -> Int:
    """Score 1..bins: floor(bins * (average_rank - 1/2) / n) + 1, ranks ascending in goodness.

    The score is the bin of the customer's mid-rank percentile. Ties share their average
    rank, hence one score; all-equal values land in the middle bin; the split is symmetric
    (two tied halves of 4 customers get 2 and 4 of 5).
    """
    if bins < 1:
        raise FitError("invalid_input", {"field": "bins", "reason": "must be >= 1"})
    vals = floats("values", values)
    n = len(vals)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    from scipy.stats import rankdata  # on first use: slow to import

    ranks = rankdata(vals if higher_is_better else -vals)  # average ranks, 1..n
    score = np.floor((ranks - 0.5) * bins / n + 1e-9) + 1
    return np.clip(score, 1, bins).astype(np.int64)


def rfm(recency_days: Any, frequency: Any, monetary: Any, bins: int = 5) -> tuple[Int, Int, Int]:
    """(R, F, M) scores: fewer days since the last purchase = higher R; more = higher F, M."""
    r = floats("recency_days", recency_days)
    f = floats("frequency", frequency)
    m = floats("monetary", monetary)
    same_length(recency_days=r, frequency=f, monetary=m)
    return (
        scores(r, bins, higher_is_better=False),
        scores(f, bins),
        scores(m, bins),
    )
