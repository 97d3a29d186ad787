"""Input checks shared by the calc modules (private)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import FitError

Float = npt.NDArray[np.float64]
Int = npt.NDArray[np.int64]


def floats(name: str, values: Any, *, nonnegative: bool = False) -> Float:
    """``values`` as a 1-D float64 array; FitError("invalid_input") on NaN/inf/negatives."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise FitError("invalid_input", {"field": name, "reason": "not numeric"}) from exc
    arr = np.atleast_1d(arr)
    if arr.ndim != 1:
        raise FitError("invalid_input", {"field": name, "reason": "not one-dimensional"})
    bad = ~np.isfinite(arr)
    if bad.any():
        raise FitError(
            "invalid_input", {"field": name, "reason": "not finite", "rows": int(bad.sum())}
        )
    if nonnegative and (arr < 0).any():
        raise FitError(
            "invalid_input", {"field": name, "reason": "negative", "rows": int((arr < 0).sum())}
        )
    return arr


def integers(name: str, values: Any) -> Int:
    """``values`` as a 1-D int64 array; FitError("invalid_input") if any is not a whole number."""
    arr = np.atleast_1d(np.asarray(values))
    if arr.ndim != 1:
        raise FitError("invalid_input", {"field": name, "reason": "not one-dimensional"})
    if arr.dtype.kind in "iub":
        return arr.astype(np.int64, copy=False)
    as_float = floats(name, arr)
    as_int = np.rint(as_float)
    if (as_int != as_float).any() or (np.abs(as_int) > 2.0**62).any():
        raise FitError("invalid_input", {"field": name, "reason": "not whole numbers"})
    return as_int.astype(np.int64)


def same_length(**arrays: np.ndarray) -> int:
    """The common length of the arrays; FitError("invalid_input") if they differ."""
    lengths = {name: len(arr) for name, arr in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise FitError("invalid_input", {"reason": "length mismatch", "lengths": lengths})
    return next(iter(lengths.values()), 0)


def weights_for(weights: Any, n: int) -> Float:
    """Customer weights (counts): ones when None; must be finite, >= 0, length n."""
    if weights is None:
        return np.ones(n, dtype=np.float64)
    arr = floats("weights", weights, nonnegative=True)
    same_length(weights=arr, rows=np.empty(n))
    return arr


def dot(u: np.ndarray, v: np.ndarray) -> float:
    """sum(u * v) without BLAS: OpenBLAS threads make 1-D dots of ~1e5 rows 10x slower
    on a busy machine, einsum's own loop is stable."""
    return float(np.einsum("i,i->", u, v))


def sum_by(index: Int, weights: Float, groups: int) -> Float:
    """Sum of ``weights`` per group ``index`` (0..groups-1), as float64."""
    return np.bincount(index, weights=weights, minlength=groups).astype(np.float64, copy=False)


def check_params(model: str, **values: float) -> None:
    """FitError("invalid_input") unless every model parameter is finite and > 0."""
    bad = [name for name, v in values.items() if not (np.isfinite(v) and v > 0)]
    if bad:
        raise FitError("invalid_input", {"model": model, "reason": "parameters", "fields": bad})


def check_horizon(t: float) -> float:
    """A forecast horizon: finite and >= 0."""
    value = float(t)
    if not (np.isfinite(value) and value >= 0):
        raise FitError("invalid_input", {"field": "t", "reason": "must be finite and >= 0"})
    return value
