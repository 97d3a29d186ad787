"""``GET /api/v1/exports/...``: small exports stream at once, big ones are a job to
poll; the page's filters, access and masking; documented errors."""

from __future__ import annotations

from kehu.accounts.models import Role
from kehu.exports.models import ExportRecord, ExportRoleSetting
from tests.api.conftest import api_client_for
from tests.exports.conftest import body, csv_rows, xlsx_rows
from tests.factories import make_customer


def test_small_export_streams_with_the_filters_and_masking(org):
    make_customer(org.sales, name="上海甲", province="上海", phones=("13800000001",))
    make_customer(None, name="上海公海", province="上海", phones=("13800000002",))
    make_customer(org.sales, name="北京乙", province="北京")
    api = api_client_for(org.sales)
    response = api.get("/api/v1/exports/customers?format=csv&columns=name,phones&province=上海")
    assert response.status_code == 200
    rows = csv_rows(body(response))
    assert sorted(rows[1:]) == [["上海公海", "领取后可见"], ["上海甲", "+8613800000001"]]
    record = ExportRecord.objects.get()
    assert record.via == "api" and record.filters == {"province": "上海"} and record.rows == 2
    rows = xlsx_rows(body(api.get("/api/v1/exports/customers?format=xlsx&columns=name")))
    assert rows[0] == ["名称"] and len(rows) == 4


def test_big_export_is_a_job_to_poll_and_download(
    org, settings, django_capture_on_commit_callbacks
):
    settings.KEHU_EXPORT_ASYNC_ROWS = 1
    make_customer(org.sales, name="甲")
    make_customer(org.sales, name="乙")
    api = api_client_for(org.sales)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.get("/api/v1/exports/customers?format=csv&columns=name")
    assert response.status_code == 202
    job = response.json()
    assert job["status"] == "queued"
    polled = api.get(f"/api/v1/exports/{job['id']}").json()
    assert polled["status"] == "done" and polled["rows"] == 2
    rows = csv_rows(body(api.get(polled["download_url"])))
    assert sorted(r[0] for r in rows[1:]) == ["乙", "甲"]
    other = api_client_for(org.east_sales2)
    assert other.get(f"/api/v1/exports/{job['id']}").status_code == 404
    ExportRecord.objects.filter(pk=job["id"]).update(
        expires_at=ExportRecord.objects.get().created_at
    )
    expired = api.get(polled["download_url"])
    assert expired.status_code == 410 and expired.json()["code"] == "expired"


def test_errors(org):
    api = api_client_for(org.sales)
    assert api.get("/api/v1/exports/nothing").status_code == 404
    bad = api.get("/api/v1/exports/customers?format=pdf")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"
    bad = api.get("/api/v1/exports/customers?columns=name,nonsense")
    assert bad.status_code == 422 and "columns" in bad.json()["errors"]
    ExportRoleSetting.objects.create(role=Role.SALES, enabled=False)
    refused = api.get("/api/v1/exports/customers")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert api_client_for(org.admin).get("/api/v1/exports/customers").status_code == 200
