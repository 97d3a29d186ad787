"""The row path of exports: chunks read from the cursor field by field, cells made a
column at a time, and the writers formatting a block a column at a time — the same
cells as one row at a time, masking and neutralisation included, across chunks."""

from __future__ import annotations

import datetime as dt
import gc
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django.utils.translation import gettext_lazy

from kehu.core.exports import neutralise
from kehu.customers.models import Customer, CustomFieldDefinition
from kehu.exports.lists import export_list_get
from kehu.exports.registry import export_blocks, export_rows
from kehu.exports.services import export_plan, export_write
from kehu.exports.writers import (
    blocks_of,
    cell_text,
    csv_cell,
    csv_column,
    csv_write_blocks,
    text_column,
    xlsx_write,
    xlsx_write_blocks,
)
from tests.exports.conftest import csv_rows, xlsx_rows
from tests.factories import make_customer

MASK = "领取后可见"
COLUMNS = ["id", "name", "phones", "email", "address", "tags", "owner", "created_at"]


def _rows(user, *, chunk, params=None, columns=COLUMNS):
    plan = export_plan(actor=user, list_key="customers", params=params or {}, columns=columns)
    rows = export_rows(plan.export_list, user, plan.source, plan.columns, chunk=chunk)
    return [plan.header, *rows]


def _customers(org):
    """Five customers, newest last: owned and pool ones interleaved."""
    made = []
    for index, owner in enumerate((org.sales, None, org.sales, None, org.sales)):
        made.append(
            make_customer(
                owner,
                name=f"客户{index}",
                phones=(f"1380000000{index}", f"1390000000{index}"),
                email=f"c{index}@example.com",
                address="=SUM(A1)",
                tags=("乙", "甲") if index % 2 else (),
            )
        )
    return made


def test_pool_contact_data_is_masked_in_every_chunk_for_a_salesperson(org):
    made = _customers(org)
    rows = _rows(org.sales, chunk=2)
    assert [r[0] for r in rows[1:]] == [c.pk for c in reversed(made)]  # newest first
    by_name = {r[1]: r for r in rows[1:]}
    for index, customer in enumerate(made):
        row = by_name[customer.name]
        if customer.owner_id is None:
            assert row[2:5] == [MASK, MASK, MASK]
            assert row[5] == ("乙、甲" if index % 2 else "")
            assert row[6] == ""
        else:
            assert row[2] == f"+861380000000{index}、+861390000000{index}"
            assert row[3:5] == [f"c{index}@example.com", "=SUM(A1)"]
            assert row[6] == (org.sales.display_name or org.sales.username)
    # The same rows as one chunk; a manager sees the pool's contact data.
    assert _rows(org.sales, chunk=10_000) == rows
    manager = {r[1]: r for r in _rows(org.manager, chunk=2)[1:]}
    assert manager["客户1"][3] == "c1@example.com"


def test_masking_applies_to_a_selection_too(org):
    own, pool = make_customer(org.sales, name="甲"), make_customer(None, name="乙", email="p@x.cn")
    rows = _rows(org.sales, chunk=1, params={"ids": f"{own.pk},{pool.pk}"})
    assert [r[1] for r in rows[1:]] == ["乙", "甲"]
    assert rows[1][3] == MASK and rows[2][3] == ""


def test_times_are_local_and_naive_and_custom_fields_read(org, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    CustomFieldDefinition.objects.create(key="budget", label="预算", kind="number")
    CustomFieldDefinition.objects.create(key="colours", label="颜色", kind="text")
    customer = make_customer(org.sales, name="甲")
    moment = dt.datetime(2024, 1, 5, 23, 30, tzinfo=dt.UTC)
    Customer.objects.filter(pk=customer.pk).update(
        last_contact_at=moment,
        custom_fields={"budget": 12.5, "colours": ["红", "蓝"]},
        birthday=dt.date(1990, 2, 3),
    )
    with timezone.override(ZoneInfo("Asia/Shanghai")):
        columns = ["name", "birthday", "last_contact_at", "custom:budget", "custom:colours"]
        rows = _rows(org.admin, chunk=2, columns=columns)
    assert rows[0] == ["名称", "生日", "最近跟进", "预算", "颜色"]
    assert rows[1] == ["甲", dt.date(1990, 2, 3), dt.datetime(2024, 1, 6, 7, 30), 12.5, "红、蓝"]


def test_every_list_gives_the_same_rows_as_blocks_and_rows(org):
    make_customer(org.sales, name="甲")
    for export_list in (export_list_get("customers"), export_list_get("orders")):
        assert export_list is not None
        plan = export_plan(actor=org.admin, list_key=export_list.key, params={})
        blocks = list(export_blocks(export_list, org.admin, plan.source, plan.columns, chunk=1))
        rows = list(export_rows(export_list, org.admin, plan.source, plan.columns, chunk=1))
        assert [list(r) for b in blocks for r in zip(*b, strict=True)] == rows


MIXED = [
    None,
    "",
    "张三",
    "=1+1",
    "+8613800000000",
    "-",
    "\tx",
    0,
    -3,
    Decimal("12.50"),
    0.25,
    True,
    False,
    dt.date(2024, 1, 5),
    dt.datetime(2024, 1, 5, 8, 30, 15),
    dt.datetime(2024, 1, 5, 0, 30, 15, tzinfo=dt.UTC),
    gettext_lazy("是"),
]


def test_a_column_is_formatted_as_each_of_its_cells(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    # Mixed kinds, text only, numbers only: each as ``cell_text`` would write it.
    for column in (MIXED, [v for v in MIXED if isinstance(v, str | None)], [1, None, Decimal(2)]):
        formatted = list(csv_column(column))
        assert formatted == [csv_cell(v) for v in column]
        assert [str(v) if v is not None else "" for v in formatted] == [
            str(cell_text(v)) for v in column
        ]


def test_blocks_write_the_same_files_as_rows(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    header = [f"c{i}" for i in range(len(MIXED))]
    rows = [MIXED, list(reversed(MIXED)), ["x"] * len(MIXED), [None] * len(MIXED)]
    by_rows = io.BytesIO()
    xlsx_write(by_rows, header, rows)
    by_blocks = io.BytesIO()
    ticks: list[int] = []
    assert xlsx_write_blocks(by_blocks, header, blocks_of(rows, 3), tick=ticks.append) == 4
    assert ticks == [3, 4]
    assert xlsx_rows(by_rows.getvalue()) == xlsx_rows(by_blocks.getvalue())
    sheet = xlsx_rows(by_blocks.getvalue())
    assert sheet[1][3] == "'=1+1" and sheet[1][4] == "+8613800000000" and sheet[1][6] == "'\tx"
    assert sheet[1][15] == dt.datetime(2024, 1, 5, 8, 30, 15)  # local, naive
    assert sheet[1][16] == "是" and sheet[4] == []  # a row of empty cells

    handle = io.BytesIO()
    assert csv_write_blocks(handle, header, blocks_of(rows, 3)) == 4
    lines = csv_rows(handle.getvalue())
    assert lines[1][:7] == ["", "", "张三", "'=1+1", "+8613800000000", "'-", "'\tx"]
    assert lines[1][7:] == [
        "0",
        "-3",
        "12.50",
        "0.25",
        "True",
        "False",
        "2024-01-05",
        "2024-01-05 08:30:15",
        "2024-01-05 08:30:15",
        "是",
    ]
    assert lines[4] == [""] * len(MIXED)


def test_a_text_column_changes_exactly_the_cells_neutralise_changes():
    texts = [
        "=A1",
        "",
        "张三",
        "+8613800000000",
        "+8613800000000、+8613900000000",
        "-",
        "-5",
        "a=b",
        "@x",
        "\tx",
        "\rx",
        "",
        "+1 2.3",
        "=",
    ]
    for column in (texts, texts[1:], texts[2:-1], ["ok"] * 3, [*texts, "nul\x00=x", "=y"]):
        assert list(text_column(column)) == [neutralise(v) for v in column]
        assert list(csv_column(column)) == [neutralise(v) for v in column]


def test_the_cycle_collector_is_back_on_after_an_export(org, monkeypatch):
    make_customer(org.sales, name="甲")
    plan = export_plan(actor=org.admin, list_key="customers", params={}, file_format="xlsx")
    seen: list[bool] = []
    assert export_write(plan, io.BytesIO(), tick=lambda rows: seen.append(gc.isenabled())) == 1
    assert seen == [False] and gc.isenabled()

    def broken():
        raise RuntimeError("the database went away")
        yield  # pragma: no cover

    monkeypatch.setattr(plan, "blocks", broken)
    with pytest.raises(RuntimeError):
        export_write(plan, io.BytesIO())
    assert gc.isenabled()
