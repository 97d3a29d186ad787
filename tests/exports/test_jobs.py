"""A big export runs as a job: a progress page, a download, a link that expires (410)
and a periodic job deleting the file."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from kehu.exports.models import ExportRecord, ExportStatus
from kehu.exports.services import exports_expire
from tests.exports.conftest import body, client_for, csv_rows, xlsx_rows
from tests.factories import make_customer

URL = reverse("exports:form", args=["customers"])


def _big(org, settings, django_capture_on_commit_callbacks, file_format="csv"):
    settings.KEHU_EXPORT_ASYNC_ROWS = 2
    for name in ("甲", "乙", "丙"):
        make_customer(org.sales, name=name)
    make_customer(org.west_sales, name="外人")
    client = client_for(org.sales)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"format": file_format, "columns": ["name"]})
    record = ExportRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("exports:record", args=[record.pk])
    return client, record


def test_big_export_runs_as_a_job_and_downloads(org, settings, django_capture_on_commit_callbacks):
    client, record = _big(org, settings, django_capture_on_commit_callbacks)
    record.refresh_from_db()
    assert record.status == ExportStatus.DONE and record.rows == 3
    assert record.expires_at > timezone.now() + dt.timedelta(hours=23)
    page = client.get(reverse("exports:record", args=[record.pk])).content.decode()
    assert 'id="export-download"' in page
    rows = csv_rows(body(client.get(reverse("exports:download", args=[record.pk]))))
    assert sorted(r[0] for r in rows[1:]) == sorted(["甲", "乙", "丙"])
    # Someone else's record is not there for them; an admin sees it.
    assert (
        client_for(org.east_sales2).get(reverse("exports:record", args=[record.pk])).status_code
        == 404
    )
    assert client_for(org.admin).get(reverse("exports:record", args=[record.pk])).status_code == 200


def test_big_xlsx_export(org, settings, django_capture_on_commit_callbacks):
    client, record = _big(org, settings, django_capture_on_commit_callbacks, "xlsx")
    rows = xlsx_rows(body(client.get(reverse("exports:download", args=[record.pk]))))
    assert rows[0] == ["名称"] and len(rows) == 4


def test_expired_link_is_410_and_the_file_is_deleted(
    org, settings, django_capture_on_commit_callbacks, var_dir
):
    client, record = _big(org, settings, django_capture_on_commit_callbacks)
    record.refresh_from_db()
    path = var_dir / "exports" / record.file_name
    assert path.exists()
    later = record.expires_at + dt.timedelta(seconds=1)
    assert exports_expire(now=later) == 1
    assert not path.exists()
    response = client.get(reverse("exports:download", args=[record.pk]))
    assert response.status_code == 410
    assert "下载链接已过期" in response.content.decode()


def test_an_expired_link_is_410_even_before_the_clean_up(
    org, settings, django_capture_on_commit_callbacks
):
    client, record = _big(org, settings, django_capture_on_commit_callbacks)
    ExportRecord.objects.filter(pk=record.pk).update(expires_at=timezone.now())
    assert client.get(reverse("exports:download", args=[record.pk])).status_code == 410


def test_records_page_lists_own_exports_and_admins_see_all(org):
    make_customer(org.sales, name="甲")
    client_for(org.sales).post(URL, {"format": "csv"}).getvalue()
    client_for(org.manager).post(URL, {"format": "csv"}).getvalue()
    own = client_for(org.sales).get(reverse("exports:records")).content.decode()
    assert own.count("<tr>") == 2  # the header and its own export
    every = client_for(org.admin).get(reverse("exports:records")).content.decode()
    assert every.count("<tr>") == 3 and "east_mgr" in every


def test_settings_page_is_for_admins_and_switches_roles_off(org):
    url = reverse("exports:settings")
    assert client_for(org.manager).get(url).status_code == 403
    response = client_for(org.admin).post(url, {"roles": ["admin", "manager"]})
    assert response.status_code == 302
    assert client_for(org.sales).get(URL).status_code == 403
    assert client_for(org.service).get(URL).status_code == 403
    assert client_for(org.manager).get(URL).status_code == 200
