"""``{% load retention_tags %}``: a rate given as 0–1 shown in percent."""

from __future__ import annotations

from typing import Any

from django import template

from kehu.core.numbers import percent_text

register = template.Library()


@register.filter
def share(value: Any, places: int = 1) -> str:
    """``{{ rate|share }}``: ``0.4213`` → ``42.1%``; ``None`` → ``—``."""
    if value is None:
        return percent_text(None)
    return percent_text(float(value) * 100, int(places))
