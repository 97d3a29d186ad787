"""Cells to typed values: every way a date, a phone, an amount or a yes/no arrives."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kehu.imports.values import (
    BadValue,
    as_bool,
    as_date,
    as_decimal,
    as_int,
    as_phone,
    as_phones,
    as_text,
)


@pytest.mark.parametrize(
    "cell, expected",
    [
        (None, ""),
        ("  张三  ", "张三"),
        ("ＡＢＣ１２３＠ｑｑ．ｃｏｍ", "ABC123@qq.com"),
        ("北京（海淀）科技有限公司", "北京（海淀）科技有限公司"),  # Chinese brackets stay
        ("张\u3000三", "张 三"),
        (13800138000.0, "13800138000"),
        (1.5, "1.5"),
        (42, "42"),
        (Decimal("3.10"), "3.10"),
        (dt.date(2024, 1, 5), "2024-01-05"),
        (dt.datetime(2024, 1, 5), "2024-01-05"),
        (dt.datetime(2024, 1, 5, 9, 30), "2024-01-05 09:30:00"),
    ],
)
def test_as_text(cell: object, expected: str) -> None:
    assert as_text(cell) == expected


def test_as_text_over_the_limit_is_refused_with_the_length() -> None:
    with pytest.raises(BadValue) as caught:
        as_text("备" * 100_000, limit=200)
    assert "100,000" in caught.value.message and "200" in caught.value.message
    assert as_text("备" * 200, limit=200) == "备" * 200


def test_as_text_refuses_characters_lost_to_a_wrong_encoding() -> None:
    with pytest.raises(BadValue, match="编码"):
        as_text("张\ufffd")


@pytest.mark.parametrize(
    "cell",
    [
        dt.date(2024, 1, 5),
        dt.datetime(2024, 1, 5, 10, 30),
        45296,  # Excel serial number
        45296.0,
        45296.75,  # with a time of day
        "45296",
        "2024/1/5",
        "2024-01-05",
        "2024-1-5",
        "2024.1.5",
        "2024年1月5日",
        "2024 年 1 月 5 日",
        "20240105",
        20240105,
        "24-1-5",
        "24/01/05",
        "２０２４／１／５",
        "2024-01-05 10:30:00",
        "2024/1/5 10:30",
        "2024-01-05T10:30:00Z",
    ],
)
def test_as_date(cell: object) -> None:
    assert as_date(cell) == dt.date(2024, 1, 5)


def test_as_date_early_serials_and_two_digit_years() -> None:
    assert as_date(1) == dt.date(1900, 1, 1)
    assert as_date(59) == dt.date(1900, 2, 28)
    assert as_date(61) == dt.date(1900, 3, 1)
    assert as_date("85-3-12") == dt.date(1985, 3, 12)


@pytest.mark.parametrize(
    "cell", ["", None, "去年", "2024-02-30", "1990/13/1", "19901341", "1/5", True, -3, 1e9]
)
def test_as_date_refuses(cell: object) -> None:
    with pytest.raises(BadValue) as caught:
        as_date(cell)
    assert caught.value.message


@pytest.mark.parametrize(
    "cell",
    [
        13800138000,
        13800138000.0,
        "13800138000",
        "13800138000.0",
        "1.3800138000E+10",
        "+86 138 0013 8000",
        "+86-138-0013-8000",
        "0086 13800138000",
        "8613800138000",
        "138 0013 8000",
        "138-0013-8000",
        "(138) 0013 8000",
        "１３８００１３８０００",
        "＋８６ １３８ ００１３ ８０００",
        Decimal("13800138000"),
    ],
)
def test_as_phone(cell: object) -> None:
    assert as_phone(cell) == "+8613800138000"


def test_as_phone_landline() -> None:
    assert as_phone("010-6234 5678") == "+861062345678"


def test_a_phone_excel_wrote_in_scientific_notation_is_refused_clearly() -> None:
    for written in ("1.38E+10", "1.3800138E+10"):
        with pytest.raises(BadValue) as caught:
            as_phone(written)
        assert "科学计数法" in caught.value.message


@pytest.mark.parametrize("cell", ["", None, "123", "电话待补", 1.5, True, "138001380"])
def test_as_phone_refuses(cell: object) -> None:
    with pytest.raises(BadValue):
        as_phone(cell)


def test_several_phones_in_one_cell() -> None:
    with pytest.raises(BadValue, match="多个"):
        as_phone("13800138000 / 13900139000")
    assert as_phones("13800138000 / 13900139000；010-62345678") == [
        "+8613800138000",
        "+8613900139000",
        "+861062345678",
    ]
    assert as_phones(None) == []
    assert as_phones(13800138000.0) == ["+8613800138000"]


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("¥1,234.50", Decimal("1234.50")),
        ("￥1,234.50", Decimal("1234.50")),
        ("1234.5元", Decimal("1234.5")),
        ("RMB 88", Decimal("88")),
        ("１２３４．５", Decimal("1234.5")),
        ("(1,234.50)", Decimal("-1234.50")),
        ("-12", Decimal("-12")),
        ("1.2万", Decimal("12000")),
        (1234.5, Decimal("1234.5")),
        (0.1, Decimal("0.1")),
        (7, Decimal("7")),
        (Decimal("2.50"), Decimal("2.50")),
    ],
)
def test_as_decimal(cell: object, expected: Decimal) -> None:
    assert as_decimal(cell) == expected


@pytest.mark.parametrize("cell", ["", None, "abc", "1.2.3", float("nan"), float("inf"), True])
def test_as_decimal_refuses(cell: object) -> None:
    with pytest.raises(BadValue):
        as_decimal(cell)


def test_as_int() -> None:
    assert as_int("12") == 12
    assert as_int(12.0) == 12
    assert as_int("1,200") == 1200
    with pytest.raises(BadValue, match="整数"):
        as_int("1.5")


@pytest.mark.parametrize(
    "cell", ["是", "Y", "y", "yes", "TRUE", "true", "1", 1, "√", "✓", True, "对"]
)
def test_as_bool_true(cell: object) -> None:
    assert as_bool(cell) is True


@pytest.mark.parametrize("cell", ["否", "N", "no", "False", "0", 0, "×", False, "无"])
def test_as_bool_false(cell: object) -> None:
    assert as_bool(cell) is False


@pytest.mark.parametrize("cell", ["也许", "2", None, ""])
def test_as_bool_refuses(cell: object) -> None:
    with pytest.raises(BadValue):
        as_bool(cell)
