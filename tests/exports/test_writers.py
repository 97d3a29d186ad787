"""The streaming writers: openpyxl reads the hand-written .xlsx back cell for cell,
and both formats neutralise formulas but leave phone numbers alone."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from openpyxl import load_workbook

from kehu.exports.writers import column_letters, csv_write, xlsx_write
from tests.exports.conftest import csv_rows

HEADER = ["编号", "名称", "金额", "日期", "时间", "是否", "空"]
ROWS = [
    [
        1,
        "张三",
        Decimal("12.50"),
        dt.date(2024, 1, 5),
        dt.datetime(2024, 1, 5, 8, 30, 15),
        True,
        None,
    ],
    [2, '=HYPERLINK("http://x")', Decimal("-3"), None, None, False, ""],
    [3, "+8613800000000", 7, None, None, None, None],
    [4, 'a & b <c> \x01 "q"', 0.25, None, None, None, None],
    [5, "@SUM(A1)", 1, None, None, None, None],
]


def test_openpyxl_reads_the_sheet_back():
    handle = io.BytesIO()
    assert xlsx_write(handle, HEADER, ROWS, sheet="客户") == len(ROWS)
    book = load_workbook(io.BytesIO(handle.getvalue()))
    sheet = book["客户"]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == HEADER
    assert values[1][:6] == [
        1,
        "张三",
        12.5,
        dt.datetime(2024, 1, 5),
        dt.datetime(2024, 1, 5, 8, 30, 15),
        True,
    ]
    assert values[2][1] == '\'=HYPERLINK("http://x")' and values[2][2] == -3
    assert values[3][1] == "+8613800000000"
    assert values[4][1] == 'a & b <c>  "q"'
    assert values[5][1] == "'@SUM(A1)"
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_csv_has_a_bom_and_neutralises():
    handle = io.BytesIO()
    csv_write(handle, HEADER, ROWS)
    rows = csv_rows(handle.getvalue())
    assert rows[1] == ["1", "张三", "12.50", "2024-01-05", "2024-01-05 08:30:15", "True", ""]
    assert rows[2][1] == '\'=HYPERLINK("http://x")' and rows[3][1] == "+8613800000000"
    assert rows[5][1] == "'@SUM(A1)"


def test_many_columns_get_their_letters():
    assert column_letters(28)[-3:] == ["Z", "AA", "AB"]
    assert column_letters(703)[-1] == "AAA"
