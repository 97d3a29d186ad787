"""Money, two ways and never through a float.

* ``money_text``: a plain decimal string with two places (``"16660.00"``) for JSON, the
  history and CSV exports, where a program reads it back.
* ``money_display``: how a person reads an amount, on every page, chart and message:
  the currency's symbol, thousands grouped, two places (``"¥16,660.00"``). Templates
  use the ``money`` filter of ``core/templatetags/kehu.py``; charts get the same format
  as a JSON config (``kehu.core.numbers.chart_formats``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

# Symbols people in China read without a second look; a currency not listed shows its
# ISO code ("THB 1,200.00"). JPY is not "¥" here: on a yuan ledger that reads as yuan.
CURRENCY_SYMBOLS = {
    "CNY": "¥",
    "USD": "US$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "JP¥",
    "HKD": "HK$",
    "MOP": "MOP$",
    "TWD": "NT$",
    "SGD": "S$",
    "KRW": "₩",
}
MISSING = "—"


def money_text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def business_currency() -> str:
    from django.conf import settings

    return str(getattr(settings, "KEHU_CURRENCY", "CNY") or "CNY")


def currency_symbol(currency: str | None = None) -> str:
    """``"CNY"`` → ``"¥"``; an unlisted code → the code and a space."""
    code = (currency or business_currency()).strip().upper()
    return CURRENCY_SYMBOLS.get(code, f"{code} ")


def as_decimal(value: Any) -> Decimal | None:
    """``Decimal`` of an amount given as Decimal, int, float (a stored JSON summary) or
    string; ``None`` for nothing, junk, NaN or infinity."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def money_display(value: Any, currency: str | None = None, *, places: int = 2) -> str:
    """``Decimal("16660")`` → ``"¥16,660.00"``; ``-5`` → ``"-¥5.00"``; ``None`` → ``"—"``.

    ``currency`` is an ISO 4217 code (default ``KEHU_CURRENCY``). ``places=0`` is for
    round bounds such as a histogram's buckets; amounts keep two places."""
    amount = as_decimal(value)
    if amount is None:
        return MISSING
    rounded = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""  # -0.004 rounds to 0.00: no "-¥0.00"
    return f"{sign}{currency_symbol(currency)}{abs(rounded):,.{places}f}"


def money_range_display(low: Any, high: Any = None, currency: str | None = None) -> str:
    """A bucket of amounts with round bounds: ``"¥1,000–¥2,000"``, ``"≥¥100,000"``."""
    if high is None:
        return "≥" + money_display(low, currency, places=0)
    return money_display(low, currency, places=0) + "–" + money_display(high, currency, places=0)
