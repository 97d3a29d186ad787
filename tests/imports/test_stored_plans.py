"""The run writes what the dry run checked (``ImportRow.plan``) without reading the
file again, and checks again what may have changed since: duplicates, owners, and —
when the custom fields, the mapping or the importer changed — every row."""

from __future__ import annotations

import datetime as dt
from unittest import mock

from kehu.customers.models import Contact, Customer, CustomFieldDefinition, SearchToken
from kehu.imports.models import ImportRow, ImportStatus
from kehu.imports.rows import job_path
from tests.conftest import Org
from tests.factories import make_customer
from tests.imports.helpers import checked, run

ROWS = [
    ["客户名称", "手机", "生日", "公司", "标签", "城市"],
    ["王小明", "13800138001", "1990-05-06", "", "VIP, 老客户", "杭州"],
    ["李雷", "+86 138 0013 8002", "", "星辰贸易", "", "上海"],
    ["韩梅梅", "13800138003", "", "", "", ""],
]


def test_the_run_writes_the_checked_rows_without_the_file(org: Org, write_csv) -> None:
    job = checked(org.admin, write_csv(ROWS))
    assert job.plan_key
    assert ImportRow.objects.filter(job=job, plan__isnull=False).count() == 3
    job_path(job).unlink()  # the run never opens it
    with mock.patch("kehu.imports.customer_rows.customer_prepare") as prepare:
        job = run(job)
    prepare.assert_not_called()
    assert job.status == ImportStatus.DONE and job.new_count == 3
    person = Customer.objects.get(name="王小明")
    assert person.birthday == dt.date(1990, 5, 6)
    assert person.owner == org.admin and person.created_by == org.admin
    assert person.name_pinyin.startswith("wang")
    assert sorted(person.tags.values_list("name", flat=True)) == ["VIP", "老客户"]
    assert list(person.phones.values_list("number", flat=True)) == ["+8613800138001"]
    tokens = set(SearchToken.objects.filter(customer=person).values_list("token", flat=True))
    assert {"pwangxiaoming", "t" + "13800138001"[::-1]} <= tokens  # found by pinyin and by phone
    company = Customer.objects.get(name="星辰贸易")
    assert company.kind == "company"
    assert list(Contact.objects.filter(customer=company).values_list("name", "phone")) == [
        ("李雷", "+8613800138002")
    ]
    assert not ImportRow.objects.filter(job=job, plan__isnull=False).exists()


def test_a_customer_created_since_the_dry_run_is_found(org: Org, write_csv) -> None:
    job = checked(org.admin, write_csv(ROWS))
    assert job.new_count == 3
    make_customer(org.sales, name="韩梅梅", phones=("13800138003",))
    job = run(job)
    assert job.new_count == 2 and job.duplicate_count == 1
    assert Customer.objects.filter(name="韩梅梅").count() == 1


def test_an_owner_deactivated_since_the_dry_run_gets_nothing(org: Org, write_csv) -> None:
    job = checked(org.admin, write_csv(ROWS), owner_rule="user", owner_user=org.sales)
    org.sales.is_active = False
    org.sales.save()
    job = run(job)
    assert job.new_count == 0 and job.error_count == 3
    assert not Customer.objects.filter(name="王小明").exists()


def test_custom_fields_changed_since_the_dry_run_check_every_row_again(org: Org, write_csv) -> None:
    job = checked(org.admin, write_csv(ROWS))
    CustomFieldDefinition.objects.create(key="level", label="等级", kind="text", required=True)
    job = run(job)
    assert job.new_count == 0 and job.error_count == 3  # the required field is missing
