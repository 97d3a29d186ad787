"""The customer list's export: the page's filters and search, access (a salesperson's
own customers and the pool, masked), picked columns, both formats, the selection."""

from __future__ import annotations

from django.urls import reverse

from kehu.accounts.models import Role
from kehu.exports.models import ExportColumnChoice, ExportRecord, ExportRoleSetting
from tests.exports.conftest import body, client_for, csv_rows, xlsx_rows
from tests.factories import make_customer

URL = reverse("exports:form", args=["customers"])


def _export(user, data, **params):
    return client_for(user).post(URL + "?" + "&".join(f"{k}={v}" for k, v in params.items()), data)


def _names(rows):
    header = rows[0]
    return {row[header.index("名称")] for row in rows[1:]}


def test_salesperson_gets_own_and_pool_with_pool_contact_masked(org):
    make_customer(org.sales, name="自己的", phones=("13800000001",), email="a@example.com")
    make_customer(None, name="公海客户", phones=("13800000002",), email="p@example.com")
    make_customer(org.east_sales2, name="同事的", phones=("13800000003",))
    response = _export(org.sales, {"format": "csv", "columns": ["name", "phones", "email"]})
    assert response.status_code == 200
    rows = csv_rows(body(response))
    assert rows[0] == ["名称", "电话", "邮箱"]
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {"自己的", "公海客户"}
    assert by_name["自己的"][1:] == ["+8613800000001", "a@example.com"]
    assert by_name["公海客户"][1:] == ["领取后可见", "领取后可见"]
    # A manager sees the pool's contact data, as on the page.
    rows = csv_rows(body(_export(org.manager, {"format": "csv", "columns": ["name", "phones"]})))
    assert ["公海客户", "+8613800000002"] in rows


def test_filters_and_search_of_the_page_apply(org):
    make_customer(org.sales, name="上海张三", province="上海")
    make_customer(org.sales, name="北京李四", province="北京")
    rows = csv_rows(body(_export(org.admin, {"format": "csv", "province": "上海"})))
    assert _names(rows) == {"上海张三"}
    rows = csv_rows(body(_export(org.admin, {"format": "csv", "q": "李四"})))
    assert _names(rows) == {"北京李四"}
    record = ExportRecord.objects.latest("id")
    assert record.filters == {"q": "李四"} and record.rows == 1 and record.user == org.admin


def test_columns_are_remembered_and_the_form_carries_filters(org):
    make_customer(org.sales, name="甲")
    client = client_for(org.sales)
    client.post(URL, {"format": "csv", "columns": ["name", "city"], "province": "浙江"})
    choice = ExportColumnChoice.objects.get(user=org.sales, list_key="customers")
    assert choice.columns == ["name", "city"]
    page = client.get(URL + "?province=浙江&bogus=1").content.decode()
    assert 'name="province" value="浙江"' in page and 'name="bogus"' not in page
    assert 'value="city" id="col-8" checked' in page
    assert 'value="phones" id="col-4">' in page  # a default column, not ticked last time


def test_xlsx_is_readable_with_chinese_and_formulas_neutralised(org):
    make_customer(org.sales, name='=HYPERLINK("http://x","点")', city="杭州")
    response = _export(org.sales, {"format": "xlsx", "columns": ["id", "name", "city"]})
    assert response.status_code == 200
    rows = xlsx_rows(body(response))
    assert rows[0] == ["编号", "名称", "城市"]
    assert rows[1][1] == '\'=HYPERLINK("http://x","点")' and rows[1][2] == "杭州"
    assert isinstance(rows[1][0], int)


def test_selection_exports_only_ticked_visible_customers(org):
    a = make_customer(org.sales, name="甲")
    b = make_customer(org.sales, name="乙")
    other = make_customer(org.west_sales, name="外人")
    rows = csv_rows(
        body(_export(org.sales, {"format": "csv", "ids": [a.pk, other.pk], "columns": ["name"]}))
    )
    assert rows[1:] == [["甲"]]
    assert b.pk  # not ticked, not exported


def test_role_switched_off_is_refused_everywhere_and_the_button_hidden(org):
    make_customer(org.sales, name="甲")
    assert 'id="export-customers"' in client_for(org.sales).get("/customers/").content.decode()
    ExportRoleSetting.objects.create(role=Role.SALES, enabled=False)
    client = client_for(org.sales)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"format": "csv"}).status_code == 403
    customer = make_customer(org.sales, name="乙")
    assert client.get(reverse("exports:vcard_customer", args=[customer.pk])).status_code == 403
    page = client.get("/customers/").content.decode()
    assert 'id="export-customers"' not in page and "customer-selection" not in page
    assert client_for(org.manager).get(URL).status_code == 200


def test_bad_format_is_a_clear_message_not_an_error(org):
    response = _export(org.sales, {"format": "pdf"})
    assert response.status_code == 200
    assert "导出格式只能是 csv 或 xlsx" in response.content.decode()
