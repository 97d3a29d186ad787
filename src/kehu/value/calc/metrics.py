"""Scoring metrics."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._arrays import floats, same_length
from .errors import FitError


def auc(score: Any, label: Any) -> float:
    """Area under the ROC curve by ranks (Mann-Whitney U / (n1 n0)), ties averaged.

    Higher ``score`` should mean ``label`` 1 is more likely. FitError("insufficient_data")
    when either class is empty (the AUC is undefined then).
    """
    s = floats("score", score)
    y = np.asarray(label).astype(bool).ravel()
    same_length(score=s, label=y)
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        raise FitError("insufficient_data", {"positives": n1, "negatives": n0})
    from scipy.stats import rankdata  # on first use: slow to import

    ranks = rankdata(s)
    u = float(ranks[y].sum()) - n1 * (n1 + 1) / 2
    return u / (n1 * n0)
