"""Orders from a file: grouped lines, the same service as the API, access, undo."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kehu.imports.checking import import_check
from kehu.imports.models import ImportRow, ImportStatus
from kehu.imports.order_rows import IMPORT_SOURCE
from kehu.imports.services import import_claim, import_options_set, import_read, import_upload
from kehu.imports.template import template_handle
from kehu.imports.undo import import_undo
from kehu.lifecycle.models import CustomerStage
from kehu.orders.models import Order, OrderStatus, Product
from tests.conftest import Org
from tests.factories import make_customer
from tests.imports.helpers import run

pytestmark = pytest.mark.django_db

HEADER = [
    "订单号",
    "客户",
    "下单时间",
    "商品/SKU",
    "数量",
    "单价",
    "折扣",
    "金额",
    "渠道",
    "付款状态",
]


@pytest.fixture
def shop(org: Org) -> dict:
    return {
        "own": make_customer(org.sales, name="东一", phones=("13800138001",)),
        "mail": make_customer(org.sales, name="东邮", email="a@example.com"),
        "other": make_customer(org.west_sales, name="西一", phones=("13900139001",)),
        "tea": Product.objects.create(
            name="龙井", sku="TEA-1", price=Decimal("100.00"), unit_cost=Decimal("60.00")
        ),
        "cup": Product.objects.create(name="茶杯", sku="CUP-1", price=Decimal("25.50")),
    }


def checked(actor, path, **options):
    job = import_read(import_upload(actor=actor, source=path, name=path.name, kind="orders"))
    assert job.mapping["订单号"] == "external_id" and job.mapping["商品/SKU"] == "product"
    if options:
        job = import_options_set(actor=actor, job=job, **options)
    assert import_claim(job, ("mapping",), "checking")
    return import_check(job)


def stage_key(customer):
    row = CustomerStage.objects.filter(customer=customer).select_related("stage").first()
    return row.stage.key if row else None


def test_orders_are_grouped_checked_run_and_undone(org: Org, shop, write_csv) -> None:
    before = stage_key(shop["own"])
    path = write_csv(
        [
            HEADER,
            ["A-1", "13800138001", "2025-03-01", "TEA-1", "2", "", "10", "", "门店", "已付款"],
            ["A-1", "13800138001", "2025-03-01", "茶杯", "1", "", "", "", "门店", "已付款"],
            ["A-2", "a@example.com", "2025/3/2", "", "", "", "", "¥88", "微信", "未付"],
            ["A-3", "东一", "2025-03-03", "NOPE", "1", "", "", "", "", ""],
            ["A-3", "东一", "2025-03-03", "TEA-1", "1", "", "", "", "", ""],
            ["A-4", "", "2025-03-04", "", "", "", "", "5", "", ""],
            ["A-5", "13800138001", "昨天", "", "", "", "", "5", "", ""],
        ],
        name="orders.csv",
    )
    job = checked(org.sales, path)
    assert (job.new_count, job.duplicate_count, job.error_count) == (3, 0, 4)
    assert not Order.objects.exists()
    rows = {r.number: r for r in ImportRow.objects.filter(job=job)}
    assert "没有这个产品" in rows[5].error and "商品/SKU" in rows[5].error
    assert "第 5 行" in rows[6].error  # the good line of a bad order fails with it
    assert "必须填写客户" in rows[7].error
    assert "下单时间" in rows[8].error
    job = run(job)
    assert job.status == ImportStatus.DONE and job.new_count == 3
    a1 = Order.objects.get(source=IMPORT_SOURCE, external_id="A-1")
    assert a1.customer == shop["own"] and a1.lines.count() == 2
    assert a1.total == Decimal("215.50") and a1.channel == "store"
    a2 = Order.objects.get(external_id="A-2")
    assert a2.customer == shop["mail"] and a2.total == Decimal("88.00")
    assert a2.payment_status == "unpaid" and a2.channel == "wechat"
    assert not Order.objects.filter(external_id="A-3").exists()
    # The same service as a pushed order: the lifecycle saw the purchase.
    assert stage_key(shop["own"]) != before

    again = run(checked(org.sales, path))
    assert again.new_count == 0 and again.duplicate_count == 3
    assert "已导入过" in ImportRow.objects.get(job=again, number=2).error

    result = import_undo(actor=org.admin, job=job)
    assert result.removed == 2 and not result.changed
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.CANCELLED}
    job.refresh_from_db()
    assert job.status == ImportStatus.UNDONE
    # Imported again after the undo: the cancelled orders come back.
    back = run(checked(org.sales, path, policy="overwrite"))
    assert back.update_count == 3
    assert Order.objects.get(external_id="A-1").status == OrderStatus.PAID


def test_someone_elses_customer_is_refused_without_showing_it(org: Org, shop, write_csv) -> None:
    path = write_csv(
        [HEADER, ["B-1", "13900139001", "2025-03-01", "", "", "", "", "50", "", ""]],
        name="o.csv",
    )
    job = checked(org.sales, path)
    assert job.error_count == 1
    error = ImportRow.objects.get(job=job, number=2).error
    assert "其他人的客户" in error and "西一" not in error
    assert run(checked(org.admin, path)).new_count == 1


def test_all_or_nothing_writes_no_order(org: Org, shop, write_csv) -> None:
    path = write_csv(
        [
            HEADER,
            ["C-1", "13800138001", "2025-03-01", "TEA-1", "1", "", "", "", "", ""],
            ["C-2", "13800138001", "2025-03-01", "NOPE", "1", "", "", "", "", ""],
        ],
        name="o.csv",
    )
    job = run(checked(org.sales, path, all_or_nothing=True))
    assert job.status == ImportStatus.FAILED and not Order.objects.exists()
    job = run(checked(org.sales, path))
    assert job.status == ImportStatus.DONE
    assert list(Order.objects.values_list("external_id", flat=True)) == ["C-1"]


def test_an_order_is_never_split_between_chunks(org: Org, shop, write_csv, monkeypatch) -> None:
    from kehu.imports import order_rows

    monkeypatch.setattr(order_rows, "CHUNK", 2)
    original = order_rows.order_chunks
    monkeypatch.setattr(
        order_rows, "order_chunks", lambda job, rows, size=2: original(job, rows, size)
    )
    body = [["D-1", "13800138001", "2025-03-01", "TEA-1", "1", "", "", "", "", ""]] * 3
    body += [["D-2", "13800138001", "2025-03-01", "CUP-1", "1", "", "", "", "", ""]]
    job = checked(org.sales, write_csv([HEADER, *body], name="o.csv"))
    job = run(job, max_chunks=1)
    assert Order.objects.get(external_id="D-1").lines.count() == 3
    assert not Order.objects.filter(external_id="D-2").exists()
    job = run_again(job)
    assert Order.objects.get(external_id="D-2").lines.count() == 1
    assert job.new_count == 4


def run_again(job):
    from kehu.imports.running import import_run

    return import_run(job)


def test_the_template_has_the_order_columns(org: Org) -> None:
    from openpyxl import load_workbook

    sheet = load_workbook(template_handle("orders")).worksheets[0]
    headers = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert {"订单号", "客户", "下单时间", "商品", "金额"} <= set(headers)


def test_templates_download_and_the_summary_links_to_the_orders(
    client, org: Org, shop, write_csv
) -> None:
    from django.urls import reverse

    client.force_login(org.sales)
    for kind in ("orders", "interactions"):
        response = client.get(reverse("imports:template", args=[kind]))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    path = write_csv(
        [HEADER, ["E-1", "13800138001", "2025-03-01", "", "", "", "", "50", "", ""]],
        name="o.csv",
    )
    job = run(checked(org.sales, path))
    order = Order.objects.get(external_id="E-1")
    page = client.get(reverse("imports:summary", args=[job.pk])).content.decode()
    assert reverse("orders:detail", args=[order.pk]) in page and reverse("orders:list") in page
    client.force_login(org.admin)
    response = client.post(reverse("imports:undo", args=[job.pk]), follow=True)
    assert "移除 1 条导入的记录" in response.content.decode()
    order.refresh_from_db()
    assert order.is_cancelled


def test_the_command_imports_orders(org: Org, shop, write_csv) -> None:
    from io import StringIO

    from django.core.management import call_command

    path = write_csv(
        [HEADER, ["F-1", "东一", "2025-03-01", "TEA-1", "3", "90", "", "270", "", ""]],
        name="o.csv",
    )
    out = StringIO()
    call_command("import", str(path), "--kind", "orders", "--user", "admin", stdout=out)
    assert "new 1" in out.getvalue()
    assert Order.objects.get(external_id="F-1").total == Decimal("270.00")
