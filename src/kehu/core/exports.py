"""Every file a user downloads from a list (CSV or Excel) is written here.

    return export_response(
        filename="at-risk-2026-11-30",
        header=[_("客户"), _("挽回价值（元）")],
        rows=([c.name, c.money] for c in customers),  # any iterable: read once, lazily
        file_format=request.GET.get("format", "csv"),
    )

CSV is streamed, UTF-8 with a byte-order mark (so Excel reads the Chinese). ``.xlsx``
is written by openpyxl's write-only mode into a temporary file (rows are not held in
memory) and sent from there.

A text cell that a spreadsheet would read as a formula — one starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return (OWASP's "CSV injection") — gets a
leading single quote, in both formats: a customer named ``=HYPERLINK(...)`` arrives as
the text ``'=HYPERLINK(...)``; a plain signed number as text (``+8613800000000``)
stays as it is. Numbers (``int``, ``float``, ``Decimal``) are written as numbers,
negative ones too: pass numbers, not numbers formatted as text.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import Promise

Cell = str | Promise | int | float | Decimal | bool | dt.date | dt.datetime | None

FORMATS: Final = ("csv", "xlsx")
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
CSV_TYPE: Final = "text/csv; charset=utf-8"
XLSX_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# A signed number (a phone number in E.164, "-5") is no formula: left as it is.
_SIGNED_NUMBER = re.compile(r"[+-][0-9][0-9 .]*")


def neutralise(value: str) -> str:
    """``value`` as text no spreadsheet runs as a formula: a leading quote before
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return — except before a plain
    signed number (``+8613800000000`` stays usable)."""
    if value.startswith(FORMULA_STARTS) and not _SIGNED_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _plain(value: Cell) -> str | int | float | Decimal | bool | dt.date | dt.datetime | None:
    """A cell as a value both writers take: text neutralised, times local and naive."""
    if isinstance(value, (str, Promise)):
        return neutralise(str(value))
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.make_naive(value)
    return value


class _Line:
    """A file-like object for ``csv.writer`` that hands each line back."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[Cell], rows: Iterable[Sequence[Cell]]) -> Iterator[str]:
    """The CSV text, line by line, starting with the byte-order mark."""
    writer: Any = csv.writer(_Line())
    yield "\ufeff"
    for row in _with_header(header, rows):
        yield writer.writerow([_csv_text(_plain(value)) for value in row])


def _csv_text(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def xlsx_file(header: Sequence[Cell], rows: Iterable[Sequence[Cell]], *, sheet: str = "") -> Any:
    """The workbook in a temporary file (positioned at its start): one sheet, the
    header in bold and frozen."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=(sheet or "Sheet1")[:31])
    worksheet.freeze_panes = "A2"
    bold = Font(bold=True)
    first = True
    for row in _with_header(header, rows):
        cells = []
        for value in row:
            plain = _plain(value)
            if isinstance(plain, str):
                plain = ILLEGAL_CHARACTERS_RE.sub("", plain)
            cell = WriteOnlyCell(worksheet, value=plain)
            if isinstance(plain, str):
                cell.data_type = "s"  # text, whatever it looks like
            if first:
                cell.font = bold
            cells.append(cell)
        worksheet.append(cells)
        first = False
    handle = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it)
    workbook.save(handle)
    handle.seek(0)
    return handle


def _with_header(
    header: Sequence[Cell], rows: Iterable[Sequence[Cell]]
) -> Iterator[Sequence[Cell]]:
    yield header
    yield from rows


@dataclass
class ExportGate:
    """Who may download a list and how a download is recorded: the exports app (above
    the apps that serve a download of their own) fills it in when it is ready."""

    allowed: Callable[[Any], bool] = lambda user: True
    recorded: Callable[..., None] = lambda user, **facts: None


GATE = ExportGate()


def register_export_gate(*, allowed: Callable[[Any], bool], recorded: Callable[..., None]) -> None:
    GATE.allowed, GATE.recorded = allowed, recorded


def _counted(
    rows: Iterable[Sequence[Cell]], done: Callable[[int], None]
) -> Iterator[Sequence[Cell]]:
    count = 0
    for row in rows:
        count += 1
        yield row
    done(count)


def export_response(
    *,
    filename: str,
    header: Sequence[Cell],
    rows: Iterable[Sequence[Cell]],
    file_format: str = "csv",
    sheet: str = "",
    user: Any = None,
    list_key: str = "",
) -> StreamingHttpResponse | FileResponse:
    """A download of ``rows`` under ``header`` as ``filename.csv`` or ``filename.xlsx``.
    With a ``user``, through the export gate: ``PermissionDenied`` where their role may
    not export, and the download recorded (as ``list_key``) once its rows are written."""
    if user is not None:
        if not GATE.allowed(user):
            raise PermissionDenied
        rows = _counted(
            rows,
            lambda n: GATE.recorded(user, list_key=list_key, file_format=file_format, rows=n),
        )
    if file_format == "xlsx":
        return FileResponse(
            xlsx_file(header, rows, sheet=sheet),
            as_attachment=True,
            filename=f"{filename}.xlsx",
            content_type=XLSX_TYPE,
        )
    if file_format != "csv":
        raise ValueError(f"unknown export format: {file_format}")
    response = StreamingHttpResponse(csv_lines(header, rows), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
