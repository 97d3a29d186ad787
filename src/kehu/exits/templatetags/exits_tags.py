"""Filters of the exit pages: a row's cells in the reasons' order, stars."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def cells(row: Any, reasons: Sequence[Any]) -> list[int]:
    return list(row.cells(reasons))


@register.filter
def stars(tier: int | None) -> str:
    return "★" * tier if tier else _("未评分")
