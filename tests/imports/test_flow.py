from __future__ import annotations

import datetime as dt

import pytest

from kehu.customers.models import Customer
from kehu.imports.models import ImportRow, ImportStatus
from kehu.imports.report import report_file
from tests.conftest import Org
from tests.factories import make_customer
from tests.imports.helpers import checked, run, upload_and_read

HEADER = ["客户名称", "手机", "邮箱", "城市", "性别", "生日", "标签", "来源"]


def test_reading_suggests_the_mapping_from_chinese_headers(org: Org, write_csv) -> None:
    path = write_csv([HEADER, ["张伟", "13800138000", "", "杭州", "男", "1990-05-01", "", ""]])
    job = upload_and_read(org.sales, path)
    assert job.status == ImportStatus.MAPPING
    assert job.total_rows == 1
    assert job.mapping == {
        "客户名称": "name",
        "手机": "phone",
        "邮箱": "email",
        "城市": "city",
        "性别": "gender",
        "生日": "birthday",
        "标签": "tags",
        "来源": "source_channel",
    }


def test_dry_run_counts_and_run_writes(org: Org, write_csv) -> None:
    make_customer(org.sales, name="老客户", phones=("13900139000",))
    make_customer(org.west_sales, name="别人的", phones=("13700137000",))
    path = write_csv(
        [
            HEADER,
            [
                "张伟",
                "13800138000",
                "zw@example.com",
                "杭州",
                "先生",
                "1990/5/1",
                "VIP、老客",
                "官网",
            ],
            ["李娜", "13800138001", "", "上海", "女士", "", "", "转介绍"],
            ["", "13800138002", "", "", "", "", "", ""],
            ["王五", "12345", "", "", "", "", "", ""],
            ["老客户", "139 0013 9000", "", "", "", "", "", ""],
            ["别人", "13700137000", "", "", "", "", "", ""],
            ["张伟二", "13800138000", "", "", "", "", "", ""],
        ]
    )
    job = checked(org.sales, path)
    assert (job.new_count, job.update_count, job.duplicate_count, job.error_count) == (2, 1, 2, 2)
    assert Customer.objects.filter(name="张伟").count() == 0
    other = ImportRow.objects.get(job=job, number=7)
    assert other.error == "已存在（其他人的客户）"
    assert "别人的" not in str(other.cells) and other.target_id is None
    job = run(job)
    assert job.status == ImportStatus.DONE
    zw = Customer.objects.get(name="张伟")
    assert zw.owner == org.sales
    assert zw.gender == "male" and zw.birthday == dt.date(1990, 5, 1)
    assert zw.source_channel == "website"
    assert sorted(zw.tags.values_list("name", flat=True)) == ["VIP", "老客"]
    assert Customer.objects.get(name="李娜").source_channel == "referral"
    assert job.new_count == 2 and job.error_count == 2


def test_error_report_lists_rows_with_what_is_wrong(org: Org, write_csv) -> None:
    from openpyxl import load_workbook

    path = write_csv([HEADER, ["", "13800138002", "", "", "", "", "", ""]])
    job = checked(org.sales, path)
    with report_file(job) as handle:
        rows = list(load_workbook(handle, read_only=True).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("行号", "结果", "问题")
    assert rows[1][0] == 2 and "客户名称" in rows[1][2]


@pytest.mark.parametrize(
    ("policy", "expected"), [("skip", ""), ("fill", "杭州"), ("overwrite", "杭州")]
)
def test_duplicate_policies(org: Org, write_csv, policy: str, expected: str) -> None:
    make_customer(org.sales, name="老客户", phones=("13900139000",))
    path = write_csv([["姓名", "电话", "城市"], ["老客户", "13900139000", "杭州"]])
    run(checked(org.sales, path, policy=policy))
    assert Customer.objects.get(name="老客户").city == expected
