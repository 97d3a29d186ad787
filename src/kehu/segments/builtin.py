"""The eight standard RFM segments (RFM 八类客户), ready-made and shared.

Each splits R, F and M (the latest scoring's scores, scaled to 1–5 as the value app
scales them for its own RFM names) into high (≥ 3, at or above the middle score) and
low (< 3): 重要价值客户 is high on all three, 一般挽留客户 low on all three. A
customer the scoring has not scored (no purchase yet) is in none of them.
"""

from __future__ import annotations

from typing import Any

HIGH = 3

# (key, name, R high, F high, M high)
RFM_EIGHT = (
    ("rfm_important_value", "重要价值客户", True, True, True),
    ("rfm_important_develop", "重要发展客户", True, False, True),
    ("rfm_important_keep", "重要保持客户", False, True, True),
    ("rfm_important_retain", "重要挽留客户", False, False, True),
    ("rfm_general_value", "一般价值客户", True, True, False),
    ("rfm_general_develop", "一般发展客户", True, False, False),
    ("rfm_general_keep", "一般保持客户", False, True, False),
    ("rfm_general_retain", "一般挽留客户", False, False, False),
)


def rfm_rule(r: bool, f: bool, m: bool) -> dict[str, Any]:
    return {
        "all": [
            {"fact": fact, "op": ">=" if high else "<", "value": HIGH}
            for fact, high in (("rfm_r", r), ("rfm_f", f), ("rfm_m", m))
        ]
    }


def builtin_rows() -> list[dict[str, Any]]:
    """The ready-made segments as field values (the data migration writes them)."""
    return [
        {"builtin": key, "name": name, "rule": rfm_rule(r, f, m)}
        for key, name, r, f, m in RFM_EIGHT
    ]
