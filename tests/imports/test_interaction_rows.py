"""Interactions (跟进记录) from a file: through interaction_log, access, undo."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from kehu.imports.checking import import_check
from kehu.imports.models import ImportRow, ImportStatus
from kehu.imports.services import import_claim, import_options_set, import_read, import_upload
from kehu.imports.template import template_handle
from kehu.imports.undo import import_undo
from kehu.interactions.models import Interaction
from kehu.interactions.services import interaction_log, interaction_remove
from kehu.lifecycle.models import CustomerStage
from tests.conftest import Org
from tests.factories import make_customer
from tests.imports.helpers import run

pytestmark = pytest.mark.django_db

HEADER = ["客户", "时间", "方式/类型", "内容", "记录人"]


@pytest.fixture
def book(org: Org) -> dict:
    return {
        "own": make_customer(org.sales, name="东一", phones=("13800138001",)),
        "other": make_customer(org.west_sales, name="西一", phones=("13900139001",)),
    }


def checked(actor, path, **options):
    job = import_read(import_upload(actor=actor, source=path, name=path.name, kind="interactions"))
    assert job.mapping["方式/类型"] == "kind" and job.mapping["记录人"] == "user"
    if options:
        job = import_options_set(actor=actor, job=job, **options)
    assert import_claim(job, ("mapping",), "checking")
    return import_check(job)


def test_interactions_are_checked_run_and_undone(org: Org, book, write_csv) -> None:
    own = book["own"]
    path = write_csv(
        [
            HEADER,
            ["13800138001", "2025-03-01 14:30", "打电话", "介绍新品", ""],
            ["东一", "2025/3/2", "拜访", "上门", "east_sales"],
            ["东一", "2025/3/2", "拜访", "上门", ""],
            ["东一", "2025-03-03", "飞鸽传书", "", ""],
            ["没有这个人", "2025-03-03", "电话", "", ""],
            ["东一", "2025-03-04", "电话", "", "nobody"],
            ["东一", "2025-03-04", "", "", ""],
        ],
        name="touches.csv",
    )
    job = checked(org.sales, path)
    assert (job.new_count, job.duplicate_count, job.error_count) == (2, 1, 4)
    assert not Interaction.objects.exists()
    rows = {r.number: r for r in ImportRow.objects.filter(job=job)}
    assert "第 3 行" in rows[4].error
    assert "方式" in rows[5].error
    assert "找不到客户" in rows[6].error
    assert "nobody" in rows[7].error
    job = run(job)
    assert job.status == ImportStatus.DONE and job.new_count == 2
    first = Interaction.objects.get(kind="call")
    assert first.customer == own and first.user == org.sales and first.notes == "介绍新品"
    assert timezone.localtime(first.occurred_at).hour == 14
    own.refresh_from_db()
    assert own.last_contact_at is not None

    again = run(checked(org.sales, path))
    assert again.new_count == 0 and "已有相同" in ImportRow.objects.get(job=again, number=2).error

    result = import_undo(actor=org.admin, job=job)
    assert result.removed == 2 and not Interaction.objects.exists()
    own.refresh_from_db()
    assert own.last_contact_at is None


def test_someone_elses_customer_and_recorder_are_refused(org: Org, book, write_csv) -> None:
    path = write_csv(
        [
            HEADER,
            ["13900139001", "2025-03-01", "电话", "", ""],
            ["东一", "2025-03-01", "电话", "", "east_sales2"],
        ],
        name="t.csv",
    )
    job = checked(org.sales, path)
    rows = {r.number: r for r in ImportRow.objects.filter(job=job)}
    assert "其他人的客户" in rows[2].error and "西一" not in rows[2].error
    assert "自己的名义" in rows[3].error
    job = run(checked(org.manager, path))
    # The manager of east sees east's customers, not west's.
    assert job.new_count == 1
    assert Interaction.objects.get().user == org.east_sales2


def test_a_lifecycle_stage_follows_imported_touches(org: Org, book, write_csv) -> None:
    def stage(customer):
        row = CustomerStage.objects.filter(customer=customer).select_related("stage").first()
        return row.stage.key if row else None

    assert stage(book["own"]) is None
    run(
        checked(
            org.sales, write_csv([HEADER, ["东一", "2025-03-01", "电话", "", ""]], name="t.csv")
        )
    )
    # interaction_log emitted its event: the lifecycle engine placed the customer.
    assert stage(book["own"]) is not None


def test_remove_is_for_admins_and_the_recorder(org: Org, book) -> None:
    touch = interaction_log(actor=org.sales, customer=book["own"], data={"kind": "call"})
    with pytest.raises(PermissionDenied):
        interaction_remove(actor=org.east_sales2, interaction=touch)
    interaction_remove(actor=org.sales, interaction=touch)
    assert not Interaction.objects.exists()


def test_the_template_has_the_interaction_columns(org: Org) -> None:
    from openpyxl import load_workbook

    sheet = load_workbook(template_handle("interactions")).worksheets[0]
    headers = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert {"客户", "时间", "方式", "内容", "记录人"} <= set(headers)


def test_the_command_imports_interactions(org: Org, book, write_csv) -> None:
    from io import StringIO

    from django.core.management import call_command

    path = write_csv([HEADER, ["东一", "2025-03-01", "微信", "问价", "east_sales"]], name="t.csv")
    out = StringIO()
    call_command("import", str(path), "--kind", "interactions", "--user", "admin", stdout=out)
    assert "new 1" in out.getvalue()
    touch = Interaction.objects.get()
    assert touch.kind == "wechat" and touch.user == org.sales and touch.created_by == org.admin
