"""Finding the header row among the first rows of a sheet, and cleaning the headers.

Files made by people often have a title (merged across the columns, so it reads as one
value then empties), a date line or a blank row above the real header. The header is
the first row, among the first :data:`SCAN_ROWS`, whose cells are mostly non-empty text
and which is followed by a row with data.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal

from kehu.imports.readers import Cell

SCAN_ROWS = 20
_SPACES = re.compile(r"\s+")


def normalize_cell(value: object) -> Cell:
    """A raw cell from any reader as a :data:`Cell`: empty text is ``None``, a time
    of day or a duration is text, a boolean stays (an ``int``)."""
    if value is None or isinstance(value, str | int | float | Decimal | dt.date):
        if isinstance(value, str) and (value == "" or value.isspace()):
            return None
        return value  # type: ignore[return-value]
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def is_empty(cells: Sequence[Cell]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _filled(cells: Sequence[Cell]) -> int:
    return sum(1 for cell in cells if not is_empty([cell]))


def _text_cells(cells: Sequence[Cell]) -> int:
    return sum(1 for cell in cells if isinstance(cell, str) and cell.strip())


def _width(cells: Sequence[Cell]) -> int:
    """Position after the last non-empty cell."""
    for index in range(len(cells) - 1, -1, -1):
        if not is_empty([cells[index]]):
            return index + 1
    return 0


def find_header(rows: Sequence[Sequence[Cell]]) -> int | None:
    """Index in ``rows`` (the first rows of a sheet, empty ones included) of the header
    row, or ``None`` when no row has any content."""
    widths = [_width(row) for row in rows]
    width = max(widths, default=0)
    if width == 0:
        return None
    candidates = [i for i, row in enumerate(rows) if widths[i]]

    def headerish(row: Sequence[Cell]) -> bool:
        # Mostly text, and at least half as wide as the widest row (a merged title reads
        # as one value then empties).
        filled = _filled(row)
        return _text_cells(row) >= max(1, filled * 0.8) and filled >= max(1, width * 0.5)

    for position, i in enumerate(candidates):
        followed = position + 1 < len(candidates)
        if followed and headerish(rows[i]):
            return i
    if len(candidates) == 1 and headerish(rows[candidates[0]]):
        return candidates[0]  # a header and no data
    # Nothing looks like a header: the first row with content is taken as one.
    return candidates[0]


def clean_headers(cells: Sequence[Cell], width: int) -> list[str]:
    """``width`` headers: text with runs of spaces (line breaks in a cell, full-width
    spaces) made one space, an empty one named “列 N”, a repeated one numbered
    “电话 (2)”."""
    headers: list[str] = []
    seen: set[str] = set()
    for index in range(width):
        cell = cells[index] if index < len(cells) else None
        name = _header_text(cell)
        if not name:
            name = f"列 {index + 1}"
        unique = name
        count = 1
        while unique in seen:
            count += 1
            unique = f"{name} ({count})"
        seen.add(unique)
        headers.append(unique)
    return headers


def _header_text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = cell.isoformat() if isinstance(cell, dt.datetime | dt.date) else str(cell)
    text = text.replace("\ufeff", "").replace("\u3000", " ")
    return _SPACES.sub(" ", text).strip()


def table_width(header: Sequence[Cell], sample: Sequence[Sequence[Cell]]) -> int:
    """Columns: up to the header's last name, or further when data rows are wider."""
    return max([_width(header), *(_width(row) for row in sample)])


def fit(cells: Sequence[Cell], width: int) -> list[Cell]:
    """``cells`` padded with ``None`` or cut to ``width``."""
    row = list(cells[:width])
    if len(row) < width:
        row.extend([None] * (width - len(row)))
    return row
