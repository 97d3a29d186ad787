"""Every exportable list, registered by importing its module (in menu order)."""

from __future__ import annotations

from kehu.exports.lists import customers  # noqa: F401
from kehu.exports.registry import REGISTRY, ExportList


def export_list_get(key: str) -> ExportList | None:
    return REGISTRY.get(key)


def export_lists() -> list[ExportList]:
    return list(REGISTRY.values())
