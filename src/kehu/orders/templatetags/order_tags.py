"""Money on the order pages: two places, thousands grouped, never through a float."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()

STATUS_BADGES = {
    "paid": "text-bg-success",
    "cancelled": "text-bg-secondary",
    "refunded": "text-bg-danger",
    "partially_refunded": "text-bg-warning",
}


@register.filter
def money(value: Decimal | None) -> str:
    """``Decimal("12345.5")`` → ``12,345.50``; ``None`` → ``—``."""
    if value is None:
        return "—"
    return f"{value:,.2f}"


@register.filter
def status_badge(status: str) -> str:
    return STATUS_BADGES.get(status, "text-bg-light")
