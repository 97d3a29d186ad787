"""Order status badges (amounts go through the ``money`` filter of ``kehu``)."""

from __future__ import annotations

from django import template

register = template.Library()

STATUS_BADGES = {
    "paid": "text-bg-success",
    "cancelled": "text-bg-secondary",
    "refunded": "text-bg-danger",
    "partially_refunded": "text-bg-warning",
}


@register.filter
def status_badge(status: str) -> str:
    return STATUS_BADGES.get(status, "text-bg-light")
