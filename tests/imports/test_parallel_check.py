"""A big file's rows are checked in worker processes (``kehu.imports.parallel``), with
the same outcomes, errors and kept plans as when the importing process checks them."""

from __future__ import annotations

from typing import Any

import pytest

from kehu.customers.models import Customer
from kehu.imports import parallel
from kehu.imports.models import ImportRow
from tests.conftest import Org
from tests.factories import make_customer
from tests.imports.helpers import checked, run

pytestmark = pytest.mark.django_db(transaction=True)  # the workers fork outside a transaction

HEADERS = ["客户名称", "手机", "生日", "公司", "城市", "负责人", "标签"]


def _rows(owner: str) -> list[list[Any]]:
    rows: list[list[Any]] = [HEADERS]
    for i in range(60):
        phone = f"1390000{i:04d}"
        if i % 10 == 3:
            rows.append([f"客户{i}", "12345", "", "", "", owner, ""])  # bad phone
        elif i % 10 == 5:
            rows.append([f"客户{i}", "13900000001", "", "", "", owner, ""])  # row 3's phone
        elif i % 10 == 7:
            rows.append([f"客户{i}", phone, "2024年13月1日", "", "", owner, ""])  # bad date
        elif i % 10 == 8:
            rows.append([f"客户{i}", phone, "", "", "", "无此人", ""])  # unknown owner
        elif i % 10 == 9:
            rows.append([f"联系人{i}", phone, "", f"公司{i}", "杭州", owner, "VIP"])
        else:
            rows.append([f"客户{i}", phone, "1990/1/5", "", "", owner, "老客户、VIP"])
    return rows


def _records(job_id: int) -> list[tuple[Any, ...]]:
    return list(
        ImportRow.objects.filter(job_id=job_id)
        .order_by("number")
        .values_list("number", "outcome", "error", "target_id", "plan")
    )


def test_workers_check_rows_as_the_importing_process_does(
    org: Org, write_csv, settings, monkeypatch
) -> None:
    make_customer(org.admin, name="老客户", phones=("13900000020",))
    path = write_csv(_rows(org.sales.username))
    options = {"owner_rule": "column"}
    monkeypatch.setattr(parallel, "MIN_ROWS", 10)
    settings.KEHU_IMPORT_WORKERS = 0
    serial = checked(org.admin, path, **options)
    settings.KEHU_IMPORT_WORKERS = 2
    calls: list[int] = []
    original = parallel.planned_chunks

    def counted(planner: Any, chunks: Any, workers: int) -> Any:
        calls.append(workers)
        return original(planner, chunks, workers)

    monkeypatch.setattr("kehu.imports.checking.planned_chunks", counted)
    forked = checked(org.admin, path, **options)
    assert calls == [2]
    counts = ("new_count", "update_count", "duplicate_count", "error_count")
    assert [getattr(forked, c) for c in counts] == [getattr(serial, c) for c in counts]
    assert forked.error_count == 18 and forked.update_count == 1
    assert _records(forked.pk) == _records(serial.pk)
    assert forked.plan_key == serial.plan_key
    job = run(forked)
    assert job.new_count == serial.new_count
    assert Customer.objects.filter(owner=org.sales).count() == serial.new_count
