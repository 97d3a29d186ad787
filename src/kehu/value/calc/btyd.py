"""The two purchase models side by side: BG/NBD and MBG/NBD, picked by name or by params.

Both modules offer the same functions (fit, log_likelihood, p_alive, expected_purchases,
p_no_purchase); this is the one place that knows there are two.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from . import bgnbd, mbgnbd

Params = bgnbd.BGNBDParams | mbgnbd.MBGNBDParams
Fit = bgnbd.BGNBDFit | mbgnbd.MBGNBDFit

MODELS: dict[str, ModuleType] = {"bgnbd": bgnbd, "mbgnbd": mbgnbd}


def name_of(params: Params) -> str:
    return "mbgnbd" if isinstance(params, mbgnbd.MBGNBDParams) else "bgnbd"


def module_of(params: Params) -> ModuleType:
    return MODELS[name_of(params)]


def fit(name: str, frequency: Any, recency: Any, T: Any, **kwargs: Any) -> Fit:
    fitted: Fit = MODELS[name].fit(frequency, recency, T, **kwargs)
    return fitted
