"""Writes the workbook and text fixtures of this folder (the vCards are written by hand).

    .venv/bin/python tests/imports/files/make_files.py [--xls PATH_TO_XLWT]

``excel.xlsx`` is made as Excel saves such a sheet: a title merged across the columns
on row 1, a note on row 2, the header on row 3 (with a name twice and one empty), phone
numbers stored as numbers, birthdays as date cells and as Excel serial numbers without a
date format, text dates, a formula column whose cached values are written into the
sheet as Excel does (openpyxl writes formulas without them), an empty row, a merged
cell in the data, a hidden sheet and an empty one. ``excel.xls`` (Excel 97–2003) needs
``xlwt``, which is not a project dependency: give the folder it is installed in
(``uv pip install --target /tmp/xlwt xlwt``). xlwt writes no cached formula values, so
the .xls has no formula.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

HEADER = [
    "客户名称",
    "手机",
    "生日",
    "注册日期",
    "消费金额",
    "折后金额",
    "",
    "电话",
    "电话",
    "备注",
]
ROWS: list[list[object]] = [
    [
        "张伟",
        13800138000,
        dt.date(1985, 3, 12),
        45296,
        1234.5,
        None,
        "x",
        "010-62345678",
        None,
        "老客户",
    ],
    [
        "李娜",
        13900139000,
        "2024/1/5",
        45297,
        88,
        None,
        None,
        "+86 139 0013 9001",
        "13900139002",
        None,
    ],
    [None] * 10,  # an empty row in the middle
    [
        "王芳",
        "＋８６ １３７ ００１３ ７０００",
        "2024年1月5日",
        45298,
        "¥1,000.00",
        None,
        None,
        None,
        None,
        "合并的备注",
    ],
    ["赵强", 1.36001360e10, "20240105", 45299, 0, None, None, None, None, None],  # merged 备注
    ["刘洋", "135-0013-5000", "24-1-5", 45300, "1200元", None, None, None, None, "最后一行"],
]


def write_xlsx(path: Path) -> None:
    import openpyxl
    from openpyxl.styles import Alignment, Font

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "客户名单"
    sheet["A1"] = "2024 年客户名单"
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.merge_cells("A1:J1")
    sheet["A2"] = "导出时间：2024-03-01    导出人：管理员"
    sheet.append(HEADER)
    formulas: dict[str, float] = {}
    for offset, row in enumerate(ROWS):
        number = 4 + offset
        sheet.append(row)
        if any(cell is not None for cell in row):
            sheet[f"F{number}"] = f"=IFERROR(E{number}*0.9,0)"
            amount = row[4]
            formulas[f"F{number}"] = (
                round(amount * 0.9, 2) if isinstance(amount, int | float) else 0
            )
        sheet[f"C{number}"].number_format = "yyyy/m/d"
        sheet[f"B{number}"].number_format = "General"  # Excel shows 1.38E+10
    sheet.merge_cells("J7:J8")  # 备注 merged over 王芳 and 赵强
    hidden = workbook.create_sheet("隐藏")
    hidden["A1"] = "不该读到"
    hidden.sheet_state = "hidden"
    workbook.create_sheet("空表")
    workbook.save(path)
    _write_cached_values(path, "xl/worksheets/sheet1.xml", formulas)


def _write_cached_values(path: Path, member: str, values: dict[str, float]) -> None:
    """Put each formula's result in its ``<v>``, as Excel saves it."""
    with zipfile.ZipFile(path) as archive:
        items = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in items:
            if info.filename == member:
                xml = data.decode()
                for ref, value in values.items():
                    xml = re.sub(
                        rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)<v\s*/>',
                        rf"\g<1>\g<2><v>{value}</v>",
                        xml,
                    )
                data = xml.encode()
            archive.writestr(info, data)


def write_xls(path: Path) -> None:
    import xlwt  # type: ignore[import-not-found]

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("客户")
    date_style = xlwt.easyxf(num_format_str="yyyy/m/d")
    sheet.write_merge(0, 0, 0, 3, "客户名单（旧系统导出）")
    for col, name in enumerate(["客户名称", "手机", "生日", "消费金额"]):
        sheet.write(1, col, name)
    sheet.write(2, 0, "张伟")
    sheet.write(2, 1, 13800138000)
    sheet.write(2, 2, dt.date(1985, 3, 12), date_style)
    sheet.write(2, 3, 1234.5)
    sheet.write(3, 0, "李娜")
    sheet.write(3, 1, "139 0013 9000")
    sheet.write(3, 2, "2024年1月5日")
    sheet.write(3, 3, "88元")
    book.save(str(path))


CSV_ROWS = [
    ["客户名称", "手机", "生日", "城市", "备注"],
    ["张伟", "13800138000", "1985/3/12", "北京", "老客户，喜欢喝茶"],
    ["龚䶮", "1.38E+10", "2024年1月5日", "广州", "“䶮”只在 GB18030 里"],
    ["", "", "", "", ""],
    ["李娜", "+86 139-0013-9000", "20240105", "上海", "多行\n备注"],
]


def write_text_files() -> None:
    import csv
    import io

    def text(rows: list[list[str]], delimiter: str = ",") -> str:
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
        return out.getvalue()

    gbk_rows = [row for row in CSV_ROWS if "䶮" not in "".join(row)]
    (HERE / "gbk.csv").write_bytes(text(gbk_rows).encode("gbk"))
    (HERE / "gb18030.csv").write_bytes(text(CSV_ROWS).encode("gb18030"))
    (HERE / "utf8_bom.csv").write_bytes(text(CSV_ROWS).encode("utf-8-sig"))
    (HERE / "semicolon.csv").write_bytes(text(CSV_ROWS, ";").encode("utf-8"))
    (HERE / "tab.tsv").write_bytes(text(CSV_ROWS, "\t").encode("utf-8"))
    title = "客户导出（纷享销客）,,,,\r\n"
    (HERE / "title_row.csv").write_bytes((title + "\r\n" + text(CSV_ROWS)).encode("utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--xls", type=Path, help="folder where xlwt is installed")
    args = parser.parse_args()
    write_xlsx(HERE / "excel.xlsx")
    write_text_files()
    if args.xls:
        sys.path.insert(0, str(args.xls))
        write_xls(HERE / "excel.xls")


if __name__ == "__main__":
    main()
