"""Workbooks: ``.xlsx``/``.xlsm`` and ``.xls``, read with python-calamine.

``benchmarks/bench_import_read.py`` measures python-calamine against openpyxl's
streaming mode (``read_only=True``, ``values_only``) on 100,000 rows × 12 columns;
calamine was 16 times faster (45,000 rows/s against 2,900 on this machine under load),
so it reads ``.xlsx`` as well as ``.xls`` (which openpyxl cannot read).

calamine builds the whole sheet's cells in memory (its ``iter_rows`` walks that range):
the 100,000 × 12 sheet (64 MB of XML) costs 100 MB at its peak, against 10 MB for
openpyxl, which streams. A sheet over :data:`CALAMINE_MAX_SHEET_BYTES` of XML is
therefore read by openpyxl, so memory stays bounded whatever the file.

Cells come as the engines give them: formulas as their cached values, a merged range
as its value in the first cell then empties, date-formatted numbers as dates.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from kehu.imports.readers import Cell, FileRejected, Row, Table
from kehu.imports.readers.headers import (
    SCAN_ROWS,
    clean_headers,
    find_header,
    fit,
    is_empty,
    normalize_cell,
    table_width,
)

XLSX_ENGINE = "calamine"
# calamine holds a sheet's cells in memory, about 1.5 times its XML: a bigger sheet is
# streamed by openpyxl instead (16 times slower, memory flat).
CALAMINE_MAX_SHEET_BYTES = 200 * 1024 * 1024
MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_RATIO = 200  # uncompressed / compressed, for a member over ZIP_RATIO_FLOOR
ZIP_RATIO_FLOOR = 10 * 1024 * 1024
# A workbook's XML compresses some 8 times (the benchmark's file: 64 MB in 8 MB), so a
# file at the size limit may unpack to 20 times it; more is refused.
UNZIPPED_FACTOR = 20

RawRows = Iterator[tuple[int, Sequence[Any]]]  # (1-based row number, raw cells)


def check_zip(path: Path) -> int:
    """Refuse a zip that is not a workbook, or that unpacks to more than it may (a zip
    bomb): checked on the central directory, and each member's declared size against
    its stream, before any parser opens it.
    Returns the size of its largest worksheet unpacked."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileRejected(_("文件已损坏，无法作为 Excel 工作簿打开。")) from None
    names = {member.filename for member in members}
    if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
        raise FileRejected(_("这个文件不是 Excel 工作簿（.xlsx）。"))
    if "xl/workbook.bin" in names:
        raise FileRejected(_("不支持 .xlsb 格式：请在 Excel 中另存为 .xlsx 后再导入。"))
    bomb = _("这个工作簿解压后异常巨大（可能是恶意构造的压缩炸弹），已拒绝读取。")
    if len(members) > MAX_ZIP_MEMBERS:
        raise FileRejected(bomb)
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > ZIP_RATIO_FLOOR and ratio > MAX_ZIP_RATIO:
            raise FileRejected(bomb)
    total = sum(member.file_size for member in members)
    limit = settings.KEHU_IMPORT_MAX_BYTES * UNZIPPED_FACTOR
    if total > limit:
        raise FileRejected(
            _("这个工作簿解压后太大（%(size)s），最多 %(limit)s。请拆成几个文件再导入。")
            % {"size": filesizeformat(total), "limit": filesizeformat(limit)}
        )
    if not _sizes_true(path, members):
        raise FileRejected(bomb)
    sheets = [m.file_size for m in members if m.filename.startswith("xl/worksheets/")]
    return max(sheets, default=0)


_INFLATE_STEP = 1 << 20  # at most this much output a call: memory stays flat


def _sizes_true(path: Path, members: list[zipfile.ZipInfo]) -> bool:
    """Whether no member unpacks to more than the central directory declares (which
    the checks above trust, and a crafted file can understate): each compressed
    stream inflated, its output counted and thrown away — 0.07 s for the benchmark's
    workbook of 100,000 rows (8 MB). An unknown method is left to the parser."""
    with path.open("rb") as handle:
        for member in members:
            if member.compress_type != zipfile.ZIP_DEFLATED:
                continue  # stored: its size is its compressed size
            handle.seek(member.header_offset + 26)
            header = handle.read(4)
            if len(header) < 4:
                return False
            name_length, extra_length = struct.unpack("<HH", header)
            handle.seek(member.header_offset + 30 + name_length + extra_length)
            inflate = zlib.decompressobj(-zlib.MAX_WBITS)
            left, unpacked = member.compress_size, 0
            try:
                while left > 0 and not inflate.eof:
                    data = handle.read(min(left, _INFLATE_STEP))
                    if not data:
                        break
                    left -= len(data)
                    while data and unpacked <= member.file_size:
                        unpacked += len(inflate.decompress(data, _INFLATE_STEP))
                        data = inflate.unconsumed_tail
                    if unpacked > member.file_size:
                        return False
            except zlib.error:
                return True  # damaged, not big: the parser says so
    return True


# --- calamine -------------------------------------------------------------------


def _calamine_workbook(path: Path, kind: str) -> Any:
    import python_calamine

    try:
        extensions = (".xls",) if kind == "xls" else (".xlsx", ".xlsm")
        if path.suffix.lower() in extensions:
            return python_calamine.CalamineWorkbook.from_path(str(path))
        # calamine picks the format by the extension; by the content from a file object.
        with path.open("rb") as handle:
            return python_calamine.CalamineWorkbook.from_filelike(handle)
    except python_calamine.PasswordError:
        raise FileRejected(_("工作簿有密码保护：请去掉密码后再导入。")) from None
    except Exception:  # calamine raises several kinds for a damaged file
        raise FileRejected(_("文件已损坏，无法作为 Excel 工作簿打开。")) from None


def _visible_sheets(workbook: Any) -> list[str]:
    import python_calamine

    names = []
    for meta in workbook.sheets_metadata:
        if (
            meta.typ == python_calamine.SheetTypeEnum.WorkSheet
            and meta.visible == python_calamine.SheetVisibleEnum.Visible
        ):
            names.append(meta.name)
    return names or list(workbook.sheet_names)


def _calamine_sheet(workbook: Any, name: str) -> Any:
    try:
        return workbook.get_sheet_by_name(name)
    except Exception:
        raise FileRejected(_("工作表“%(sheet)s”已损坏，无法读取。") % {"sheet": name}) from None


def calamine_rows(sheet: Any) -> RawRows:
    """Rows of a calamine sheet with their 1-based numbers (``iter_rows`` starts at the
    sheet's first row, and at its first column with data)."""
    for index, cells in enumerate(sheet.iter_rows()):
        yield index + 1, cells


def _open_calamine(path: Path, kind: str, sheet: str | None) -> tuple[str, RawRows, int | None]:
    workbook = _calamine_workbook(path, kind)
    names = _visible_sheets(workbook)
    if sheet is not None:
        if sheet not in workbook.sheet_names:
            raise FileRejected(_("工作簿里没有名为“%(sheet)s”的工作表。") % {"sheet": sheet})
        names = [sheet]
    for name in names:
        data = _calamine_sheet(workbook, name)
        if data.end is not None:
            return name, calamine_rows(data), data.end[0] + 1
    raise FileRejected(_("工作表是空的：没有任何数据。"))


# --- openpyxl -------------------------------------------------------------------


def openpyxl_rows(worksheet: Any) -> RawRows:
    number = 0
    try:
        for number, cells in enumerate(worksheet.iter_rows(values_only=True), start=1):
            yield number, cells
    except Exception:  # the sheet's XML is damaged past this row
        raise FileRejected(
            _("工作表在第 %(row)s 行之后已损坏，无法继续读取。") % {"row": number}
        ) from None


def _open_openpyxl(path: Path, sheet: str | None) -> tuple[str, RawRows, int | None]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:
        raise FileRejected(_("文件已损坏，无法作为 Excel 工作簿打开。")) from None
    if sheet is not None and sheet not in workbook.sheetnames:
        workbook.close()
        raise FileRejected(_("工作簿里没有名为“%(sheet)s”的工作表。") % {"sheet": sheet})
    names = (
        [sheet]
        if sheet
        else [ws.title for ws in workbook.worksheets if ws.sheet_state == "visible"]
    )
    for name in names:
        worksheet = workbook[name]
        rows = openpyxl_rows(worksheet)
        first = list(islice(rows, SCAN_ROWS))
        if any(not is_empty([normalize_cell(c) for c in cells]) for _n, cells in first):

            def chained(
                first: list[tuple[int, Sequence[Any]]] = first, rows: RawRows = rows
            ) -> RawRows:
                try:
                    yield from first
                    yield from rows
                finally:
                    workbook.close()

            return name, chained(), worksheet.max_row
    workbook.close()
    raise FileRejected(_("工作表是空的：没有任何数据。"))


# --- the table --------------------------------------------------------------------


def table_from_rows(raw: RawRows, *, sheet: str | None, total_rows: int | None, kind: str) -> Table:
    """Buffer the first rows, find the header, and stream the rest as :class:`Row`."""
    head: list[tuple[int, list[Cell]]] = []
    for number, cells in islice(raw, SCAN_ROWS):
        head.append((number, [normalize_cell(c) for c in cells]))
    found = find_header([cells for _n, cells in head])
    if found is None:
        raise FileRejected(_("工作表是空的：没有任何数据。"))
    header_number, header_cells = head[found]
    sample = [cells for _n, cells in head[found + 1 :]]
    width = table_width(header_cells, sample)
    headers = clean_headers(header_cells, width)
    total = None if total_rows is None else max(total_rows - header_number, 0)

    def rows() -> Iterator[Row]:
        try:
            for number, cells in head[found + 1 :]:
                if not is_empty(cells):
                    yield Row(number, fit(cells, width))
            for number, raw_cells in raw:
                cells = [normalize_cell(c) for c in raw_cells[:width]]
                if not is_empty(cells):
                    yield Row(number, fit(cells, width))
        finally:
            close = getattr(raw, "close", None)
            if close is not None:
                close()

    return Table(
        headers=headers,
        header_row=header_number,
        rows=rows(),
        total=total,
        sheet=sheet,
        kind=kind,
    )


def open_workbook_table(path: Path, kind: str, *, sheet: str | None = None) -> Table:
    largest = check_zip(path) if kind == "xlsx" else 0
    if kind == "xlsx" and (XLSX_ENGINE == "openpyxl" or largest > CALAMINE_MAX_SHEET_BYTES):
        name, raw, total_rows = _open_openpyxl(path, sheet)
    else:
        name, raw, total_rows = _open_calamine(path, kind, sheet)
    return table_from_rows(raw, sheet=name, total_rows=total_rows, kind=kind)


def workbook_sheet_names(path: Path, kind: str) -> list[str]:
    if kind == "xlsx":
        check_zip(path)
    return _visible_sheets(_calamine_workbook(path, kind))
