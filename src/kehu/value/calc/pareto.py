"""Concentration of value across customers (the Pareto / 80-20 curve) and 20/60/20.

The 20/60/20 split (Kaplan & Narayanan 2001, "Measuring and Managing Customer
Profitability"; the source article 001 section 3): the top 20 % of customers by profit,
the customers whose profit is negative or below their cost to serve, and the rest.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from ._arrays import Float, floats, same_length
from .errors import FitError


def _cumulative_share(values: Float) -> Float:
    """Cumulative value share with customers sorted by value descending, from 0.

    The denominator is the total; when the total is <= 0 it is the sum of the positive
    values (all zeros when there is none), so the curve stays finite.
    """
    ordered = np.sort(values)[::-1]
    total = float(ordered.sum())
    if total <= 0:
        total = float(ordered[ordered > 0].sum())
    cum = np.concatenate([[0.0], np.cumsum(ordered)])
    return cum / total if total > 0 else np.zeros_like(cum)


def concentration(values: Any, points: int = 101) -> tuple[Float, Float]:
    """(customer share, value share) at ``points`` evenly spaced customer shares 0..1.

    Linear between customers. With negative values the value share may exceed 1 and then
    fall back to 1 at the end.
    """
    if points < 2:
        raise FitError("invalid_input", {"field": "points", "reason": "must be >= 2"})
    vals = floats("values", values)
    share = np.linspace(0.0, 1.0, points)
    if len(vals) == 0:
        return share, np.zeros(points)
    cum = _cumulative_share(vals)
    return share, np.interp(share * len(vals), np.arange(len(cum)), cum)


def share_of_top(values: Any, fraction: float = 0.2) -> float:
    """The share of the total value held by the top ``fraction`` of customers."""
    if not 0.0 <= fraction <= 1.0:
        raise FitError("invalid_input", {"field": "fraction", "reason": "must be in [0, 1]"})
    vals = floats("values", values)
    if len(vals) == 0:
        return 0.0
    cum = _cumulative_share(vals)
    return float(np.interp(fraction * len(vals), np.arange(len(cum)), cum))


def split_20_60_20(
    profit: Any, cost_to_serve: Any = 0.0, *, top: float = 0.2
) -> npt.NDArray[np.int8]:
    """int8 per customer: 1 = top ``top`` share by profit, -1 = profit < 0 or below its
    cost to serve, 0 = the rest.

    The top group is the ceil(top * n) highest profits, widened to include ties (equal
    profit, equal label). Being in the top takes precedence only if profit >= cost.
    """
    prof = floats("profit", profit)
    cost = floats("cost_to_serve", np.broadcast_to(np.asarray(cost_to_serve, float), prof.shape))
    same_length(profit=prof, cost_to_serve=cost)
    labels = np.zeros(len(prof), dtype=np.int8)
    if len(prof) == 0:
        return labels
    k = max(1, math.ceil(top * len(prof) - 1e-9)) if top > 0 else 0
    if k:
        threshold = np.partition(prof, len(prof) - k)[len(prof) - k]
        labels[prof >= threshold] = 1
    labels[(prof < 0) | (prof < cost)] = -1
    return labels
