"""The one error the pure value module raises.

``FitError.code`` is stable and machine-readable; the app maps it to words (the module
itself has no user-facing text and no Django import).

- ``no_data``: nothing to compute on (no rows, or all weights zero).
- ``insufficient_data``: too few customers / repeat customers for a stable fit.
- ``no_convergence``: the optimiser did not reach a maximum (or reached a degenerate one).
- ``invalid_input``: NaN/inf, negative counts or times, recency > T, mismatched lengths.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CODES = frozenset({"no_data", "insufficient_data", "no_convergence", "invalid_input"})


class FitError(ValueError):
    """A computation could not be done; ``code`` says why, ``detail`` has the numbers."""

    def __init__(self, code: str, detail: Mapping[str, Any] | None = None):
        if code not in CODES:
            raise ValueError(f"unknown FitError code {code!r}")
        self.code = code
        self.detail: dict[str, Any] = dict(detail or {})
        super().__init__(f"{code}: {self.detail}" if self.detail else code)
