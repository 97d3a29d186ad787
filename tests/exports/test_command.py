"""``kehu export``: the list as the page exports it for --user, to a file."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kehu.exports.models import ExportRecord
from tests.exports.conftest import csv_rows, xlsx_rows
from tests.factories import make_customer


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("export", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_csv_for_a_salesperson_with_query_and_columns(org, tmp_path):
    make_customer(org.sales, name="张三", city="杭州")
    make_customer(org.sales, name="李四", city="宁波")
    make_customer(org.west_sales, name="张五")
    target = tmp_path / "out.csv"
    printed = _run(
        "customers",
        "--query",
        "张",
        "--columns",
        "name,city",
        "--user",
        "east_sales",
        "-o",
        str(target),
        "--no-progress",
    )
    assert "1 rows written" in printed
    assert csv_rows(target.read_bytes()) == [["名称", "城市"], ["张三", "杭州"]]
    assert ExportRecord.objects.get().via == "cli"


def test_xlsx_with_a_filter_as_the_first_admin(org, tmp_path):
    make_customer(org.sales, name="张三", province="浙江")
    make_customer(org.west_sales, name="王五", province="四川")
    target = tmp_path / "out.xlsx"
    _run(
        "customers",
        "--format",
        "xlsx",
        "--filter",
        "province=四川",
        "--columns",
        "name",
        "-o",
        str(target),
    )
    assert xlsx_rows(target.read_bytes()) == [["名称"], ["王五"]]


def test_segments_and_bad_input_are_clear(org, tmp_path):
    target = str(tmp_path / "x.csv")
    with pytest.raises(CommandError, match="issue 20"):
        _run("customers", "--segment", "3", "-o", target)
    with pytest.raises(CommandError, match="没有这些列"):
        _run("customers", "--columns", "nope", "-o", target)
    with pytest.raises(CommandError, match="no active user"):
        _run("customers", "--user", "ghost", "-o", target)
