"""The two file writers of exports: CSV (UTF-8 with a byte-order mark, so Excel reads
the Chinese) and ``.xlsx``, both streaming: rows are written as they come, memory stays
flat whatever the size.

The ``.xlsx`` writer writes the sheet's XML straight into the zip with inline strings
(no shared-string table to hold in memory), which is several times faster than
openpyxl's write-only mode (``benchmarks/bench_export.py`` measures both); openpyxl
reads what it writes (``tests/exports/test_writers.py``).

Text a spreadsheet would read as a formula gets a leading quote in both formats
(``kehu.core.exports.neutralise``, which leaves signed numbers such as phone numbers
alone); times are written in the local time zone.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import operator
import re
import zipfile
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from itertools import accumulate
from typing import IO, Any, Final

from django.utils import timezone
from django.utils.functional import Promise

from kehu.core.exports import FORMULA_STARTS, neutralise

Row = Sequence[Any]
Block = Sequence[Sequence[Any]]  # rows given column by column: ``block[column][row]``
Tick = Callable[[int], None]  # rows written so far
BATCH: Final = 2_000  # rows per write to the file
EXCEL_EPOCH: Final = dt.datetime(1899, 12, 30)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def cell_text(value: Any) -> Any:
    """A cell as CSV writes it: text neutralised, times local, ``None`` empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, Promise):
        return cell_text(str(value))
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


_STARTS = frozenset(FORMULA_STARTS)
_NONE = type(None)
# Cells csv.writer writes right as they are (``None`` as an empty field).
_CSV_AS_IS = frozenset({int, Decimal, float, bool, _NONE})
_TEXT = frozenset({str, _NONE})


def csv_cell(value: Any) -> Any:
    """One cell as CSV writes it (``cell_text``, the common cells without a call)."""
    kind = type(value)
    if kind is str:
        return neutralise(value) if value and value[0] in _STARTS else value
    if kind in _CSV_AS_IS:
        return value
    if kind is dt.datetime and not value.tzinfo:
        return value.isoformat(" ", "seconds")
    return cell_text(value)


# A text that ``neutralise`` may change, in a column's texts each led by a NUL: a
# formula start, unless a signed number.
_MAY_NEUTRALISE = re.compile("\x00(?:[=@\t\r]|[+-](?![0-9][0-9 .]*(?:\x00|$)))")
_TIMES = frozenset({dt.datetime, _NONE})


def text_column(values: Sequence[str]) -> Sequence[str]:
    """A column of texts neutralised: one search over the texts joined finds the few
    that may look like formulas, and only those go through ``neutralise``."""
    joined = "\x00" + "\x00".join(values)
    if joined.count("\x00") != len(values):  # a text holding a NUL: one by one
        return [neutralise(v) if v and v[0] in _STARTS else v for v in values]
    found = [match.start() for match in _MAY_NEUTRALISE.finditer(joined)]
    if not found:
        return values
    # Where each text's NUL is in ``joined``: its index plus the lengths before it.
    lengths = accumulate(map(len, values), initial=0)
    starts = list(map(operator.add, range(len(values)), lengths))
    out = list(values)
    for position in found:
        index = bisect_left(starts, position)
        out[index] = neutralise(out[index])
    return out


def csv_column(values: Sequence[Any]) -> Sequence[Any]:
    """A column of a block as CSV writes it, in one pass: numbers as they are, text as
    it is unless a cell looks like a formula, naive times without a call each."""
    kinds = set(map(type, values))
    if kinds <= _CSV_AS_IS:
        return values
    if kinds == {str}:
        return text_column(values)
    if kinds <= _TEXT:
        return [neutralise(v) if v and v[0] in _STARTS else v for v in values]
    if kinds <= _TIMES:
        return [
            v.isoformat(" ", "seconds") if v is not None and v.tzinfo is None else csv_cell(v)
            for v in values
        ]
    return [csv_cell(v) for v in values]


def csv_cells(row: Row) -> list[Any]:
    """A row as CSV writes it."""
    return [csv_cell(value) for value in row]


def blocks_of(rows: Iterable[Row], size: int = BATCH) -> Iterator[Block]:
    """Rows (each a sequence of cells) as blocks of ``size`` rows, column by column."""
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield list(zip(*batch, strict=True))
            batch = []
    if batch:
        yield list(zip(*batch, strict=True))


def _csv_text(writer: Any, buffer: io.StringIO, block: Block) -> str:
    """A block as CSV text (``writer`` writes to ``buffer``, emptied here)."""
    if block:
        writer.writerows(zip(*map(csv_column, block), strict=True))
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def csv_chunks(
    header: Row, blocks: Iterable[Block], on_done: Tick | None = None, tick: Tick | None = None
) -> Iterator[bytes]:
    """The CSV as bytes, a block of rows at a time (first the byte-order mark and the
    header): for a streamed response, or written to a file. ``tick`` after each block,
    ``on_done`` at the end, with the rows so far."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([cell_text(v) for v in header])
    yield ("\ufeff" + _csv_text(writer, buffer, [])).encode()
    count = 0
    for block in blocks:
        yield _csv_text(writer, buffer, block).encode()
        count += len(block[0]) if block else 0
        if tick is not None:
            tick(count)
    if on_done is not None:
        on_done(count)


def csv_write_blocks(
    handle: IO[bytes], header: Row, blocks: Iterable[Block], tick: Tick | None = None
) -> int:
    """Write the CSV to a binary file; the number of rows (without the header)."""
    counted = [0]

    def done(count: int) -> None:
        counted[0] = count

    for data in csv_chunks(header, blocks, on_done=done, tick=tick):
        handle.write(data)
    return counted[0]


def csv_write(handle: IO[bytes], header: Row, rows: Iterable[Row], tick: Tick | None = None) -> int:
    """The same from rows."""
    return csv_write_blocks(handle, header, blocks_of(rows), tick)


# --- .xlsx --------------------------------------------------------------------------------

_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})

_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PKG = "http://schemas.openxmlformats.org/package/2006"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006"
_OFFICE = "application/vnd.openxmlformats-officedocument"


def _override(part: str, kind: str) -> str:
    return f'<Override PartName="{part}" ContentType="{_OFFICE}.{kind}+xml"/>'


def _relation(rid: str, kind: str, target: str) -> str:
    return f'<Relationship Id="{rid}" Type="{_DOC}/relationships/{kind}" Target="{target}"/>'


CONTENT_TYPES = (
    f'{_XML}<Types xmlns="{_PKG}/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    + _override("/xl/workbook.xml", "spreadsheetml.sheet.main")
    + _override("/xl/worksheets/sheet1.xml", "spreadsheetml.worksheet")
    + _override("/xl/styles.xml", "spreadsheetml.styles")
    + _override("/docProps/app.xml", "extended-properties")
    + "</Types>"
)
ROOT_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
    + _relation("rId1", "officeDocument", "xl/workbook.xml")
    + _relation("rId2", "extended-properties", "docProps/app.xml")
    + "</Relationships>"
)
APP = (
    f'{_XML}<Properties xmlns="{_DOC}/extended-properties">'
    "<Application>Kehu</Application></Properties>"
)
WORKBOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
    + _relation("rId1", "worksheet", "worksheets/sheet1.xml")
    + _relation("rId2", "styles", "styles.xml")
    + "</Relationships>"
)
# Styles: 0 plain, 1 bold (the header), 2 a date, 3 a date and time.
STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
    'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>'
)


def _workbook(sheet: str) -> str:
    name = _ILLEGAL.sub("", sheet)[:31].translate(_ESCAPE).replace('"', "&quot;") or "Sheet1"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def column_letters(count: int) -> list[str]:
    letters = []
    for index in range(1, count + 1):
        name, n = "", index
        while n:
            n, rest = divmod(n - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


def _text(value: str) -> str:
    value = _ILLEGAL.sub("", neutralise(value)).translate(_ESCAPE)
    return f'<is><t xml:space="preserve">{value}</t></is>'


def _cell_xml(ref: str, value: Any, style: str = "") -> str:
    """One cell (not empty) of any kind."""
    kind = type(value)
    if kind is str:
        return f'<c r="{ref}" t="inlineStr"{style}>{_text(value)}</c>'
    if kind is bool:
        return f'<c r="{ref}" t="b"{style}><v>{int(value)}</v></c>'
    if kind is int or kind is float or kind is Decimal:
        return f'<c r="{ref}"{style}><v>{value}</v></c>'
    if kind is dt.datetime:
        moment = timezone.make_naive(value) if timezone.is_aware(value) else value
        serial = (moment - EXCEL_EPOCH).total_seconds() / 86_400
        return f'<c r="{ref}" s="3"><v>{serial:.10f}</v></c>'
    if kind is dt.date:
        serial_days = (value - EXCEL_EPOCH.date()).days
        return f'<c r="{ref}" s="2"><v>{serial_days}</v></c>'
    return f'<c r="{ref}" t="inlineStr"{style}>{_text(str(value))}</c>'


def _row_xml(number: int, row: Row, letters: list[str], style: str = "") -> str:
    cells = [
        _cell_xml(f"{letter}{number}", value, style)
        for letter, value in zip(letters, row, strict=False)
        if not (value is None or value == "")
    ]
    return f'<row r="{number}">{"".join(cells)}</row>'


_NUMBERS = frozenset({int, float, Decimal, _NONE})
_MARKUP = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xlsx_texts(values: Sequence[str | None]) -> Sequence[str]:
    """Text cells' XML content: neutralised, characters XML cannot hold left out,
    escaped — each only where a cell of the column needs it."""
    if None not in values:
        texts: Sequence[str] = text_column(values)  # type: ignore[arg-type]
    else:
        texts = [neutralise(v) if v and v[0] in _STARTS else (v or "") for v in values]
    if _MARKUP.search("".join(texts)):
        texts = [_ILLEGAL.sub("", v).translate(_ESCAPE) for v in texts]
    return texts


def _xlsx_column(letter: str, first: int, values: Sequence[Any]) -> list[str]:
    """A column of a block as cells (an empty cell as ""), rows numbered from
    ``first``, in one pass for a column of text or of numbers."""
    kinds = set(map(type, values))
    numbers = range(first, first + len(values))
    if kinds <= _TEXT:
        return [
            f'<c r="{letter}{n}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
            if value
            else ""
            for n, value, text in zip(numbers, values, _xlsx_texts(values), strict=True)
        ]
    if kinds <= _NUMBERS:
        return [
            "" if value is None else f'<c r="{letter}{n}"><v>{value}</v></c>'
            for n, value in zip(numbers, values, strict=True)
        ]
    return [
        "" if value is None or value == "" else _cell_xml(f"{letter}{n}", value)
        for n, value in zip(numbers, values, strict=True)
    ]


def _block_xml(first: int, block: Block, letters: list[str]) -> str:
    """The rows of a block, numbered from ``first``."""
    columns = [
        _xlsx_column(letter, first, values) for letter, values in zip(letters, block, strict=False)
    ]
    numbers = range(first, first + len(block[0]))
    return "".join(
        f'<row r="{n}">{"".join(cells)}</row>'
        for n, cells in zip(numbers, zip(*columns, strict=True), strict=True)
    )


def xlsx_write_blocks(
    handle: IO[bytes],
    header: Row,
    blocks: Iterable[Block],
    *,
    sheet: str = "Sheet1",
    tick: Tick | None = None,
) -> int:
    """Write the workbook to a binary file (seekable or not); the number of rows."""
    letters = column_letters(max(1, len(header)))
    count = 0
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", ROOT_RELS)
        book.writestr("docProps/app.xml", APP)
        book.writestr("xl/workbook.xml", _workbook(sheet))
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        book.writestr("xl/styles.xml", STYLES)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            head = [str(v) for v in header]
            part.write((SHEET_START + _row_xml(1, head, letters, ' s="1"')).encode())
            for block in blocks:
                size = len(block[0]) if block else 0
                # A block's XML is several times its cells: written BATCH rows at a time.
                for start in range(0, size, BATCH):
                    rows = [column[start : start + BATCH] for column in block]
                    part.write(_block_xml(count + 2, rows, letters).encode())
                    count += len(rows[0])
                if tick is not None and size:
                    tick(count)
            part.write(b"</sheetData></worksheet>")
    return count


def xlsx_write(
    handle: IO[bytes],
    header: Row,
    rows: Iterable[Row],
    *,
    sheet: str = "Sheet1",
    tick: Tick | None = None,
) -> int:
    """The same from rows."""
    return xlsx_write_blocks(handle, header, blocks_of(rows), sheet=sheet, tick=tick)


def xlsx_write_openpyxl(handle: IO[bytes], header: Row, rows: Iterable[Row]) -> int:
    """The same workbook through openpyxl's write-only mode: the bench's comparison."""
    from kehu.core.exports import xlsx_file

    counted = [0]

    def counting() -> Iterator[Row]:
        for row in rows:
            counted[0] += 1
            yield row

    source = xlsx_file(header, counting())
    with source:
        while chunk := source.read(1 << 20):
            handle.write(chunk)
    return counted[0]
