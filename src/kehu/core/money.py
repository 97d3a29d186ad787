"""Money as JSON and history text: a decimal string with two places, never a float."""

from __future__ import annotations

from decimal import Decimal


def money_text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"
