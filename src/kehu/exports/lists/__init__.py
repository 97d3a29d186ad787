"""Every exportable list, registered by importing its module."""

from __future__ import annotations

from kehu.exports.lists import activity, customers, exits, insight  # noqa: F401
from kehu.exports.registry import REGISTRY, ExportList

ORDER = (
    "customers",
    "orders",
    "interactions",
    "tasks",
    "complaints",
    "survey-answers",
    "care",
    "at-risk",
    "stage-history",
    "winback",
)


def export_list_get(key: str) -> ExportList | None:
    return REGISTRY.get(key)


def export_lists() -> list[ExportList]:
    """Every list, in menu order (the command line's choices, the records' labels)."""
    return sorted(REGISTRY.values(), key=lambda e: ORDER.index(e.key) if e.key in ORDER else 99)
