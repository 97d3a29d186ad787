from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings


@pytest.fixture(autouse=True)
def var_dir(tmp_path: Path) -> Iterator[Path]:
    """Uploads go to a temporary VAR_DIR (parallel suites must not collide)."""
    folder = tmp_path / "var"
    folder.mkdir()
    with override_settings(VAR_DIR=folder):
        yield folder


WriteFile = Callable[..., Path]


@pytest.fixture
def write_csv(tmp_path: Path) -> WriteFile:
    def write(rows: list[list[Any]], name: str = "customers.csv") -> Path:
        path = tmp_path / name
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle).writerows(rows)
        return path

    return write


@pytest.fixture
def write_xlsx(tmp_path: Path) -> WriteFile:
    def write(rows: list[list[Any]], name: str = "customers.xlsx") -> Path:
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        for row in rows:
            sheet.append(row)
        path = tmp_path / name
        workbook.save(path)
        return path

    return write
