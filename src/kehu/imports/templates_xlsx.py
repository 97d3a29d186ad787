"""The downloadable import template (导入模板.xlsx) for one kind of import.

Generic: the importing code gives the columns (:class:`TemplateColumn`), this writes
the workbook — the headers in bold and frozen, a note on a header as its cell comment,
one sample row, every column formatted as text (so Excel does not turn a phone number
into 1.38E+10 or drop an ID's leading zeros; the import reads numbers and dates from
text), and for every column with choices a drop-down list fed from a second sheet
(可选值) that lists the allowed values, one column each.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

TEMPLATE_FILENAME = "导入模板.xlsx"
VALIDATED_ROWS = 10_000  # rows below the header that get the drop-down lists


@dataclass
class TemplateColumn:
    header: str
    sample: str
    choices: list[str] | None = None
    note: str = ""


def _sheet_title(text: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\."""
    for char in "[]:*?/\\":
        text = text.replace(char, " ")
    return text[:31] or "Sheet"


def _kind_label(kind: str) -> str:
    labels = {
        "customers": pgettext("import template sheet", "客户"),
        "orders": pgettext("import template sheet", "订单"),
        "interactions": pgettext("import template sheet", "跟进记录"),
        "products": pgettext("import template sheet", "商品"),
    }
    return labels.get(kind, kind) or pgettext("import template sheet", "导入数据")


def template_workbook(kind: str, columns: list[TemplateColumn]) -> bytes:
    """The ``.xlsx`` bytes of the template for ``kind`` ("customers", "orders",
    "interactions", "products" or any label), which names its first sheet."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(_kind_label(kind))
    choices_sheet = None
    position = 0  # columns used on the choices sheet
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        header = sheet.cell(row=1, column=index, value=column.header)
        header.font = bold
        header.fill = fill
        header.alignment = Alignment(vertical="center")
        if column.note:
            header.comment = Comment(column.note, "Kehu", width=240, height=90)
        sample = sheet.cell(row=2, column=index, value=column.sample)
        sample.number_format = "@"
        dimension = sheet.column_dimensions[letter]
        dimension.width = max(10, min(40, _display_width(column.header, column.sample) + 2))
        dimension.number_format = "@"
        if column.choices:
            if choices_sheet is None:
                choices_sheet = workbook.create_sheet(
                    _sheet_title(pgettext("import template sheet", "可选值"))
                )
            position += 1
            choices_letter = get_column_letter(position)
            choices_sheet.cell(row=1, column=position, value=column.header).font = bold
            for row, value in enumerate(column.choices, start=2):
                choices_sheet.cell(row=row, column=position, value=value).number_format = "@"
            choices_sheet.column_dimensions[choices_letter].width = max(
                10, min(40, max(_display_width(v, "") for v in [column.header, *column.choices]))
            )
            last = len(column.choices) + 1
            validation = DataValidation(
                type="list",
                formula1=f"{quote_sheetname(choices_sheet.title)}!${choices_letter}$2:${choices_letter}${last}",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=_("不在可选值中"),
                error=_("请从下拉列表中选择，可选值见“%(sheet)s”工作表。")
                % {"sheet": choices_sheet.title},
            )
            validation.add(f"{letter}2:{letter}{VALIDATED_ROWS + 1}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _display_width(*texts: str) -> int:
    """Columns a text takes in Excel: a CJK character counts two."""
    return max(sum(2 if ord(char) > 0x2E80 else 1 for char in text) for text in texts)
