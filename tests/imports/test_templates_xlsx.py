"""The import template workbook: headers, sample, drop-downs and the 可选值 sheet."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from django.utils import translation

from kehu.imports.readers import open_table
from kehu.imports.templates_xlsx import TemplateColumn, template_workbook

COLUMNS = [
    TemplateColumn("客户名称", "张三", None, note="必填"),
    TemplateColumn("手机", "13800138000", None),
    TemplateColumn("性别", "男", ["男", "女", "未知"]),
    TemplateColumn("来源", "展会", ["官网", "展会", "客户推荐"], note="获客渠道"),
    TemplateColumn("生日", "1990-01-05", None),
]


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_template_has_bold_headers_a_sample_row_and_text_columns() -> None:
    book = load(template_workbook("customers", COLUMNS))
    sheet = book.worksheets[0]
    assert sheet.title == "客户"
    assert [c.value for c in sheet[1]] == ["客户名称", "手机", "性别", "来源", "生日"]
    assert all(c.font.bold for c in sheet[1])
    assert [c.value for c in sheet[2]] == ["张三", "13800138000", "男", "展会", "1990-01-05"]
    assert sheet["B2"].number_format == "@"  # a phone stays text in Excel
    assert sheet["A1"].comment is not None and sheet["A1"].comment.text == "必填"
    assert sheet["B1"].comment is None
    assert sheet.freeze_panes == "A2"


def test_choice_columns_get_a_drop_down_fed_from_the_choices_sheet() -> None:
    book = load(template_workbook("customers", COLUMNS))
    sheet, choices = book.worksheets
    assert choices.title == "可选值"
    assert [c.value for c in choices["A"]] == ["性别", "男", "女", "未知"]
    assert [c.value for c in choices["B"] if c.value] == ["来源", "官网", "展会", "客户推荐"]
    validations = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    assert set(validations) == {"C2:C10001", "D2:D10001"}
    assert validations["C2:C10001"].type == "list"
    assert validations["C2:C10001"].formula1 == "'可选值'!$A$2:$A$4"
    assert validations["D2:D10001"].formula1 == "'可选值'!$B$2:$B$4"
    assert validations["D2:D10001"].showErrorMessage


def test_no_choices_no_second_sheet() -> None:
    book = load(template_workbook("products", [TemplateColumn("商品名称", "铁观音", None)]))
    assert book.sheetnames == ["商品"]


def test_the_template_reads_back_through_the_import_reader(tmp_path: Path) -> None:
    path = tmp_path / "导入模板.xlsx"
    path.write_bytes(template_workbook("customers", COLUMNS))
    table = open_table(path)
    assert table.headers == ["客户名称", "手机", "性别", "来源", "生日"]
    assert [row.cells for row in table.rows] == [
        ["张三", "13800138000", "男", "展会", "1990-01-05"]
    ]


@pytest.mark.parametrize("kind, title", [("orders", "Orders"), ("anything", "anything")])
def test_sheet_names_follow_the_language(kind: str, title: str) -> None:
    with translation.override("en"):
        book = load(template_workbook(kind, COLUMNS))
    assert book.sheetnames == [title, "Allowed values"]
