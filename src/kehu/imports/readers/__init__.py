"""Reading an uploaded file into a table of raw cells, whatever it arrived as.

``open_table(path)`` looks at the file's first bytes (and its extension) and returns a
:class:`Table`: cleaned, unique headers and a lazy stream of :class:`Row` — the cells as
the file holds them (text, numbers, dates), with the row's number in the original file
for the error report. Turning a cell into a typed value is :mod:`kehu.imports.values`.

A problem with the whole file (too big, not a workbook, a zip bomb, an undetectable
encoding, an empty sheet) raises :class:`FileRejected` with a message for the user; a
problem with one row (a vCard that cannot be parsed) is a row whose ``error`` is set, so
the rest of the file is not lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from kehu.core.errors import KehuError

Cell = str | int | float | Decimal | dt.date | dt.datetime | None


class FileRejected(KehuError):
    """The whole file cannot be read; ``message`` says why, for the user."""

    code = "file_rejected"


@dataclass
class Row:
    number: int  # 1-based row (workbook) or line (text) number in the original file
    cells: list[Cell]  # as read; as long as the table's headers
    error: str | None = None  # set when the row could not be read at all (cells empty)


@dataclass
class Table:
    headers: list[str]  # cleaned and unique, never empty
    header_row: int  # 1-based
    rows: Iterator[Row]  # lazy; fully empty rows skipped
    total: int | None  # data rows, when known cheaply (may be an estimate)
    sheet: str | None = None
    kind: str = ""  # "xlsx", "xls", "csv" or "vcf"
    encoding: str | None = None  # text files: the encoding detected

    def close(self) -> None:
        """Release the file early (reading ``rows`` to the end also does)."""
        close = getattr(self.rows, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


WORKBOOK_EXTENSIONS = {".xlsx", ".xlsm", ".xls"}
TEXT_EXTENSIONS = {".csv", ".txt", ".tsv"}
VCARD_EXTENSIONS = {".vcf", ".vcard"}
EXTENSIONS = WORKBOOK_EXTENSIONS | TEXT_EXTENSIONS | VCARD_EXTENSIONS

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def file_kind(path: Path) -> str:
    """ "xlsx", "xls", "csv" or "vcf", from the content first, then the extension;
    raises ``FileRejected`` for anything else (or a file too big or empty)."""
    ext = path.suffix.lower()
    if ext not in EXTENSIONS:
        raise FileRejected(
            _("不支持这种文件（%(ext)s）：请上传 .xlsx、.xls、.csv 或 .vcf 文件。")
            % {"ext": ext or _("无扩展名")}
        )
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        raise FileRejected(_("文件无法打开。")) from None
    limit = settings.KEHU_IMPORT_MAX_BYTES
    if size > limit:
        raise FileRejected(
            _("文件太大（%(size)s），最大 %(limit)s。请拆成几个文件再导入。")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)}
        )
    if not head.strip():
        raise FileRejected(_("文件是空的。"))
    if head.startswith(ZIP_MAGIC):  # an .xlsx under another name still reads
        return "xlsx"
    if head.startswith(OLE_MAGIC):
        return "xls"
    if ext in WORKBOOK_EXTENSIONS:
        raise FileRejected(
            _("文件名是 %(ext)s，但内容不是 Excel 工作簿（可能已损坏或被改了扩展名）。")
            % {"ext": ext}
        )
    if ext in VCARD_EXTENSIONS or _looks_like_vcard(head):
        return "vcf"
    return "csv"


def _looks_like_vcard(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    return text.startswith(b"BEGIN:VCARD")


def open_table(path: Path, *, sheet: str | None = None) -> Table:
    """The table in ``path`` (for a workbook: ``sheet``, by default the first sheet
    with data). Raises ``FileRejected`` when the file cannot be read as a whole."""
    path = Path(path)
    kind = file_kind(path)
    if kind in ("xlsx", "xls"):
        from kehu.imports.readers.workbook import open_workbook_table

        return open_workbook_table(path, kind, sheet=sheet)
    if kind == "vcf":
        from kehu.imports.readers.vcard import open_vcard_table

        return open_vcard_table(path)
    from kehu.imports.readers.text import open_text_table

    return open_text_table(path)


def sheet_names(path: Path) -> list[str]:
    """The workbook's visible worksheets in order; ``[]`` for a text file or vCards."""
    path = Path(path)
    kind = file_kind(path)
    if kind not in ("xlsx", "xls"):
        return []
    from kehu.imports.readers.workbook import workbook_sheet_names

    return workbook_sheet_names(path, kind)


__all__ = ["Cell", "FileRejected", "Row", "Table", "file_kind", "open_table", "sheet_names"]
