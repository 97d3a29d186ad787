"""Reading import files: real files as Excel, phones and Outlook write them
(tests/imports/files, see make_files.py there), and every kind of bad file."""

from __future__ import annotations

import datetime as dt
import random
import shutil
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kehu.imports.readers import FileRejected, Row, Table, open_table, sheet_names
from kehu.imports.readers import workbook as workbook_reader
from kehu.imports.values import as_date, as_decimal, as_phone, as_text

FILES = Path(__file__).resolve().parent / "files"


def rows(table: Table) -> list[Row]:
    read = list(table.rows)
    assert all(len(row.cells) == len(table.headers) for row in read)
    return read


def by_header(table: Table, row: Row) -> dict[str, object]:
    return dict(zip(table.headers, row.cells, strict=True))


@pytest.fixture(params=["calamine", "openpyxl"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(workbook_reader, "XLSX_ENGINE", request.param)
    yield request.param


# --- the workbook Excel saved -------------------------------------------------------


def test_excel_workbook_header_on_row_3_under_a_merged_title(engine: str) -> None:
    table = open_table(FILES / "excel.xlsx")
    assert table.sheet == "客户名单"
    assert table.header_row == 3
    assert table.headers == [
        "客户名称", "手机", "生日", "注册日期", "消费金额", "折后金额", "列 7", "电话", "电话 (2)",
        "备注",
    ]  # fmt: skip
    assert table.total == 6  # rows 4–9 (an estimate that counts the empty row)
    read = rows(table)
    assert [row.number for row in read] == [4, 5, 7, 8, 9]  # row 6 is empty
    first, second, wang, zhao, liu = (by_header(table, row) for row in read)
    assert first["客户名称"] == "张伟" and first["列 7"] == "x"
    # Phone numbers stored as numbers, full-width, with dashes or +86: all one form.
    phones = [as_phone(r["手机"]) for r in (first, second, wang, zhao, liu)]
    assert phones == [
        "+8613800138000", "+8613900139000", "+8613700137000", "+8613600136000", "+8613500135000",
    ]  # fmt: skip
    # A date cell, text dates and Excel serial numbers without a date format.
    assert as_date(first["生日"]) == dt.date(1985, 3, 12)
    assert {as_date(r["生日"]) for r in (second, wang, zhao, liu)} == {dt.date(2024, 1, 5)}
    assert [as_date(r["注册日期"]) for r in (first, second)] == [
        dt.date(2024, 1, 5),
        dt.date(2024, 1, 6),
    ]
    # The formula column reads as Excel's cached results.
    assert as_decimal(first["折后金额"]) == as_decimal("1111.05")
    assert as_decimal(second["折后金额"]) == as_decimal("79.2")
    # A merged cell: its value in the first row, empty in the next.
    assert wang["备注"] == "合并的备注" and zhao["备注"] is None
    assert as_decimal(wang["消费金额"]) == 1000 and as_decimal(liu["消费金额"]) == 1200
    assert first["电话"] == "010-62345678" and second["电话 (2)"] == "13900139002"


def test_hidden_sheets_are_not_offered_and_an_empty_one_is_refused(engine: str) -> None:
    assert sheet_names(FILES / "excel.xlsx") == ["客户名单", "空表"]
    with pytest.raises(FileRejected, match="空"):
        open_table(FILES / "excel.xlsx", sheet="空表")
    with pytest.raises(FileRejected, match="没有名为"):
        open_table(FILES / "excel.xlsx", sheet="不存在")


def test_xls_is_read_by_calamine() -> None:
    table = open_table(FILES / "excel.xls")
    assert table.kind == "xls" and table.header_row == 2
    assert table.headers == ["客户名称", "手机", "生日", "消费金额"]
    first, second = (by_header(table, row) for row in rows(table))
    assert as_phone(first["手机"]) == "+8613800138000"
    assert as_date(first["生日"]) == dt.date(1985, 3, 12)
    assert as_date(second["生日"]) == dt.date(2024, 1, 5)
    assert sheet_names(FILES / "excel.xls") == ["客户"]


def test_an_xlsx_under_another_extension_still_reads(tmp_path: Path) -> None:
    renamed = tmp_path / "客户.xls"
    shutil.copy(FILES / "excel.xlsx", renamed)
    assert open_table(renamed).headers[0] == "客户名称"


def _workbook(path: Path, data: list[list[object]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    for row in data:
        book.active.append(row)
    book.save(path)
    return path


def test_an_empty_workbook_is_refused(tmp_path: Path, engine: str) -> None:
    with pytest.raises(FileRejected, match="工作表是空的"):
        open_table(_workbook(tmp_path / "empty.xlsx", []))


def test_a_header_without_data_gives_no_rows(tmp_path: Path, engine: str) -> None:
    table = open_table(_workbook(tmp_path / "h.xlsx", [["姓名", "手机"]]))
    assert table.headers == ["姓名", "手机"] and rows(table) == []


def test_header_detection_without_a_text_header_takes_the_first_row(tmp_path: Path) -> None:
    table = open_table(_workbook(tmp_path / "n.xlsx", [[1, 2], [3, 4]]))
    assert table.header_row == 1 and table.headers == ["1", "2"]
    assert [row.cells for row in table.rows] == [[3.0, 4.0]]


def test_data_wider_than_the_header_gets_named_columns(tmp_path: Path) -> None:
    data: list[list[object]] = [["姓名", "手机", None], ["张三", "13800138000", "备注"]]
    table = open_table(_workbook(tmp_path / "w.xlsx", data))
    assert table.headers == ["姓名", "手机", "列 3"]


def test_a_header_split_over_lines_in_its_cell_is_one_line(tmp_path: Path) -> None:
    table = open_table(_workbook(tmp_path / "l.xlsx", [["客户\n名称", " 手机 "], ["张三", 1]]))
    assert table.headers == ["客户 名称", "手机"]


# --- files that are not what they say ---------------------------------------------------


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KEHU_IMPORT_MAX_BYTES = 1000
    big = tmp_path / "big.csv"
    big.write_text("姓名,手机\n" + "张三,13800138000\n" * 100)
    with pytest.raises(FileRejected, match="文件太大"):
        open_table(big)


def test_the_default_size_limit_is_200_mb() -> None:
    from django.conf import settings

    assert settings.KEHU_IMPORT_MAX_BYTES == 200 * 1024 * 1024


def _bomb(path: Path, megabytes: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with zipfile.ZipFile(FILES / "excel.xlsx") as real:
            for info in real.infolist():
                if info.filename != "xl/worksheets/sheet1.xml":
                    archive.writestr(info, real.read(info))
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b"\0" * (1 << 20)
            for _ in range(megabytes):
                member.write(block)
    return path


def test_a_zip_bomb_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match="压缩炸弹"):
        open_table(_bomb(tmp_path / "bomb.xlsx", 40))  # 40 MB of zeros in 40 KB


def test_a_zip_bomb_that_understates_its_sizes_is_refused(tmp_path: Path) -> None:
    """The central directory and the member's own header say 1 KB; the stream holds
    40 MB of zeros."""
    path = _bomb(tmp_path / "liar.xlsx", 40)
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name.decode())
    # The member's own header (zip64: its sizes in the extra field) and its entry in
    # the central directory (plain 32-bit sizes: the member is under 4 GB).
    local = info.header_offset
    name_length = struct.unpack("<H", data[local + 26 : local + 28])[0]
    extra = local + 30 + name_length
    assert data[extra : extra + 2] == b"\x01\x00"
    data[extra + 4 : extra + 12] = struct.pack("<Q", 1024)
    central = data.rindex(name) - 46
    assert data[central : central + 4] == b"PK\x01\x02"
    data[central + 24 : central + 28] = struct.pack("<I", 1024)
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo(name.decode()).file_size == 1024  # what a reader is told
    with pytest.raises(FileRejected, match="压缩炸弹"):
        open_table(path)


def test_a_workbook_unpacking_to_more_than_twenty_times_the_limit_is_refused(
    tmp_path: Path,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    path = _bomb(tmp_path / "big.xlsx", 9)  # 9 MB of zeros: under the ratio check's floor
    settings.KEHU_IMPORT_MAX_BYTES = path.stat().st_size + 1  # the file itself is allowed
    with pytest.raises(FileRejected, match="解压后太大"):
        open_table(path)


def test_a_file_of_200_mb_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.write("姓名,手机\n".encode())
        handle.truncate(200 * 1024 * 1024 + 1)  # sparse: no disk used
    with pytest.raises(FileRejected, match="文件太大") as caught:
        open_table(path)
    assert "200.0" in caught.value.message


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("客户.xlsx", b"\x01\x02garbage" * 100, "不是 Excel 工作簿"),
        ("客户.xls", "姓名,手机\n张三,1\n".encode(), "不是 Excel 工作簿"),
        ("客户.xlsx", b"PK\x03\x04" + b"\x00" * 200, "损坏"),
        ("客户.pdf", b"%PDF-1.4", "不支持"),
        ("客户", b"abc", "不支持"),
        ("客户.csv", b"", "空"),
        ("客户.csv", b"\n\n  \r\n", "空"),
        ("客户.csv", b",,,\r\n,,\r\n", "空"),
        ("客户.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, "不是文本文件"),
        ("客户.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "损坏"),
    ],
)
def test_broken_or_misnamed_files_are_refused_with_a_message(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FileRejected) as caught:
        open_table(path)
    assert message in caught.value.message


def test_a_truncated_workbook_is_refused(tmp_path: Path, engine: str) -> None:
    data = (FILES / "excel.xlsx").read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FileRejected, match="损坏"):
        open_table(path)


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(FileRejected, match="不是 Excel 工作簿"):
        open_table(path)


def test_a_workbook_with_a_damaged_sheet_is_refused(tmp_path: Path, engine: str) -> None:
    path = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(FILES / "excel.xlsx") as real, zipfile.ZipFile(path, "w") as out:
        for info in real.infolist():
            data = real.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[:300] + b"<<<not xml"
            out.writestr(info, data)
    with pytest.raises(FileRejected):
        table = open_table(path)
        list(table.rows)


# --- text files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, encoding",
    [
        ("gbk.csv", "gb18030"),
        ("gb18030.csv", "gb18030"),
        ("utf8_bom.csv", "utf-8-sig"),
        ("semicolon.csv", "utf-8"),
        ("tab.tsv", "utf-8"),
        ("title_row.csv", "utf-8"),
    ],
)
def test_text_files_in_every_encoding_and_delimiter(name: str, encoding: str) -> None:
    table = open_table(FILES / name)
    assert table.kind == "csv" and table.encoding == encoding
    assert table.headers == ["客户名称", "手机", "生日", "城市", "备注"]
    read = [by_header(table, row) for row in rows(table)]
    assert read[0]["客户名称"] == "张伟" and read[0]["备注"] == "老客户，喜欢喝茶"
    assert read[-1]["备注"] == "多行\n备注"
    assert as_phone(read[-1]["手机"]) == "+8613900139000"
    if name != "gbk.csv":
        assert read[1]["客户名称"] == "龚䶮"  # only in GB18030, not in GBK


def test_csv_line_numbers_count_lines_of_the_file() -> None:
    table = open_table(FILES / "title_row.csv")
    assert table.header_row == 3  # a title line and a blank line above
    # 张伟 line 4, 龚䶮 line 5, an empty line 6, 李娜 on line 7 (its note runs to 8)
    assert [row.number for row in table.rows] == [4, 5, 7]


def test_a_cell_of_100000_characters_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    note = "很长的备注" * 20_000
    path.write_text(f'姓名,备注\r\n张三,"{note}"\r\n李四,短\r\n', encoding="utf-8")
    first, second = rows(open_table(path))
    assert first.cells[1] == note and len(note) == 100_000
    assert second.cells == ["李四", "短"]
    with pytest.raises(ValueError, match="100,000"):
        as_text(first.cells[1], limit=1000)


def test_duplicated_and_empty_column_names_in_a_csv(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("电话,电话,,电话,姓名\n1,2,3,4,张三\n", encoding="utf-8")
    table = open_table(path)
    assert table.headers == ["电话", "电话 (2)", "列 3", "电话 (3)", "姓名"]


def test_short_and_long_rows_are_fitted_to_the_header(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("姓名,手机,备注\n张三\n李四,139,备注,多余\n", encoding="utf-8")
    table = open_table(path)
    assert table.headers == ["姓名", "手机", "备注", "列 4"]
    assert [row.cells for row in rows(table)] == [
        ["张三", None, None, None],
        ["李四", "139", "备注", "多余"],
    ]


def test_an_undetectable_encoding_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "noise.csv"
    rng = random.Random(3)
    noise = bytes(rng.randrange(1, 256) for _ in range(4000))
    path.write_bytes(noise)
    with pytest.raises(FileRejected, match="编码"):
        open_table(path)


def test_a_byte_that_does_not_decode_after_the_sample_is_reported_on_its_row(
    tmp_path: Path,
) -> None:
    path = tmp_path / "late.csv"
    good = "姓名,城市\r\n" + "张三,北京\r\n" * 30_000
    path.write_bytes(good.encode("utf-8") + b"\xff\xfe,x\r\n" + "李四,上海\r\n".encode())
    table = open_table(path)
    assert table.encoding == "utf-8"
    read = rows(table)
    assert len(read) == 30_002 and read[-1].cells == ["李四", "上海"]
    with pytest.raises(ValueError, match="编码"):
        as_text(read[-2].cells[0])


def test_a_big_text_file_estimates_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("姓名,手机\n" + "".join(f"张{i},138{i:08d}\n" for i in range(50_000)))
    table = open_table(path)
    assert table.total is not None and 45_000 < table.total < 55_000
    assert sum(1 for _row in table.rows) == 50_000


# --- vCards ----------------------------------------------------------------------------


def vcards(name: str) -> list[dict[str, object]]:
    table = open_table(FILES / name)
    assert table.kind == "vcf"
    assert table.headers == [
        "姓名", "手机", "电话", "邮箱", "公司", "部门", "职务", "地址", "省份", "城市", "生日",
        "网址", "备注",
    ]  # fmt: skip
    read = rows(table)
    assert table.total == len(read)
    return [{**by_header(table, row), "#": row.number, "error": row.error} for row in read]


def test_android_vcards_21_quoted_printable_folded() -> None:
    zhang, nana, nameless = vcards("android.vcf")
    assert zhang["姓名"] == "张伟"
    assert zhang["手机"] == "138 0013 8000"
    assert zhang["电话"] == "+86 139-0013-9000; 010-62345678"  # the second mobile, then home
    assert zhang["公司"] == "北京星辰科技有限公司" and zhang["部门"] == "销售部"
    assert zhang["职务"] == "销售经理"
    assert (zhang["地址"], zhang["省份"], zhang["城市"]) == ("中关村大街1号", "北京", "北京市")
    assert (
        zhang["备注"]
        == "这是一位重要客户，每年采购两次茶叶礼盒，喜欢铁观音和大红袍，联系时请先发微信。"
    )
    assert zhang["生日"] == dt.date(1985, 3, 12)
    assert zhang["网址"] == "http://www.example.cn"
    assert nana["姓名"] == "欧阳娜娜" and nana["手机"] == "13700137000"  # photo skipped
    assert nameless["姓名"] is None and nameless["手机"] == "15800158000"
    assert nameless["error"] is None  # the pipeline reports the missing name for its row
    assert [card["#"] for card in (zhang, nana, nameless)] == [1, 20, 31]


def test_ios_vcards_30_grouped_labels_and_photo() -> None:
    li, company, smith = vcards("ios.vcf")
    assert li["姓名"] == "李小龙"
    assert li["手机"] == "+86 135 0013 5000"  # item1.TEL labelled Mobile
    assert li["电话"] == "0755 2345 6789; 186 0018 6000"
    assert li["邮箱"] == "xiaolong@example.cn"
    assert li["公司"] == "深圳市嘉禾贸易有限公司" and li["部门"] == "采购部"
    assert li["地址"] == "南山区科技园南路 8 号\n2 栋 301"
    assert (li["省份"], li["城市"]) == ("广东省", "深圳市")
    assert li["生日"] == dt.date(1990, 7, 27)
    assert li["网址"] == "https://jiahe.example.cn"
    assert li["备注"] == "每月初下单, 要求开专票。\n联系人：李先生\n其他邮箱：lxl@qq.com"
    # A company card with no person's name; the iPhone label marks the mobile.
    assert company["姓名"] is None and company["公司"] == "上海某某餐饮管理有限公司"
    assert company["手机"] == "17700177000" and company["电话"] == "021-5888 8888"
    assert smith["姓名"] == "John Smith" and smith["生日"] == "--0704"
    assert smith["备注"] == (
        "A long note that iOS folds because it is longer than seventy-five characters on one line."
    )


def test_outlook_vcard_in_gbk_with_quoted_printable_and_a_photo() -> None:
    (wang,) = vcards("outlook.vcf")
    assert wang["姓名"] == "王建国"
    assert wang["手机"] == "13600136000" and wang["电话"] == "020-87654321"
    assert wang["邮箱"] == "wangjianguo@hengxin.example.cn"
    assert wang["公司"] == "广州恒信电子有限公司" and wang["部门"] == "技术部"
    assert wang["地址"] == "天河区天河路 385 号" and wang["城市"] == "广州"
    assert wang["生日"] == dt.date(1978, 6, 15)
    assert wang["备注"] == "在展会上认识，需要报价单。\n传真：020-87654322\n其他邮箱：wjg@163.com"


def test_broken_vcards_are_row_errors_and_the_rest_still_reads() -> None:
    zhao, unfinished, zhou, song, yin = vcards("mixed.vcf")
    assert zhao["姓名"] == "赵敏" and zhao["手机"] == "+86-131-0013-1000"  # vCard 4.0
    assert zhao["电话"] == "+86-10-6655-4433" and zhao["生日"] == dt.date(1992, 2, 29)
    assert unfinished["error"] and "END:VCARD" in str(unfinished["error"])
    assert unfinished["#"] == 10
    assert zhou["姓名"] == "周芷若" and zhou["error"] is None
    assert song["error"] and song["姓名"] is None
    assert yin["姓名"] == "殷离" and yin["手机"] == "13100131000"


def test_a_vcard_file_without_the_extension_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "contacts.txt"
    shutil.copy(FILES / "ios.vcf", path)
    assert open_table(path).kind == "vcf"


def test_a_vcf_without_any_card_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "contacts.vcf"
    path.write_text("姓名,手机\n张三,13800138000\n", encoding="utf-8")
    with pytest.raises(FileRejected, match="名片"):
        open_table(path)


def test_excel_unicode_text_is_utf16_with_tabs(tmp_path: Path) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes((FILES / "tab.tsv").read_text(encoding="utf-8").encode("utf-16"))
    table = open_table(path)
    assert table.encoding == "utf-16"
    assert table.headers == ["客户名称", "手机", "生日", "城市", "备注"]
    assert rows(table)[1].cells[0] == "龚䶮"


def test_gbk_after_a_long_ascii_start_is_still_detected(tmp_path: Path) -> None:
    path = tmp_path / "late_gbk.csv"
    ascii_rows = "".join(f"Customer {i},138{i:08d}\r\n" for i in range(20_000))
    path.write_bytes(("name,phone\r\n" + ascii_rows + "张三,13800138000\r\n").encode("gbk"))
    table = open_table(path)
    assert table.encoding == "gb18030"
    assert rows(table)[-1].cells == ["张三", "13800138000"]
