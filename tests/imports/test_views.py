from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.imports.models import ImportJob, ImportStatus
from tests.conftest import Org
from tests.imports.helpers import checked


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(client: Client, path: Path) -> ImportJob:
    with path.open("rb") as handle:
        response = client.post(reverse("imports:list"), {"kind": "customers", "file": handle})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.latest("id")


def test_the_whole_journey_through_the_pages(org: Org, write_xlsx) -> None:
    path = write_xlsx(
        [
            ["客户名称", "手机号码", "性别", "城市"],
            ["周杰", "13800138000", "男士", "杭州"],
            ["吴敏", "13800138001", "F", "上海"],
            ["", "13800138002", "", ""],
        ]
    )
    client = _client(org.admin)
    job = _upload(client, path)
    job.refresh_from_db()
    assert job.status == ImportStatus.MAPPING
    page = client.get(reverse("imports:detail", args=[job.pk]), follow=True)
    assert page.status_code == 200
    body = page.content.decode()
    assert "手机号码" in body and "男士" in body  # a value that needs the user
    columns = {f"col_{i}": key for i, key in enumerate(["name", "phone", "gender", "city"])}
    gender_values = {f"val_gender_{i}": "" for i in range(3)}
    response = client.post(
        reverse("imports:mapping", args=[job.pk]),
        {**columns, **gender_values, "val_gender_0": "male", "check": "1"},
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED
    assert (job.new_count, job.error_count) == (2, 1)
    page = client.get(reverse("imports:check", args=[job.pk]))
    assert "客户名称不能为空" in page.content.decode()
    errors = client.get(reverse("imports:errors", args=[job.pk]))
    assert errors.status_code == 200 and errors["Content-Type"].startswith("application/vnd")
    response = client.post(
        reverse("imports:check", args=[job.pk]),
        {"policy": "skip", "all_or_nothing": "0", "owner_rule": "importer"},
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert Customer.objects.get(name="周杰").gender == "male"
    summary = client.get(reverse("imports:detail", args=[job.pk]), follow=True)
    assert "撤销导入" in summary.content.decode()
    client.post(reverse("imports:undo", args=[job.pk]), {})
    job.refresh_from_db()
    assert job.status == ImportStatus.UNDONE
    assert not Customer.objects.alive().filter(name="周杰").exists()


@pytest.mark.parametrize("role", ["service", "analyst"])
def test_service_and_analysts_may_not_import(org: Org, role: str, write_csv) -> None:
    client = _client(getattr(org, role))
    assert client.get(reverse("imports:list")).status_code == 403
    assert client.get(reverse("imports:template", args=["customers"])).status_code == 404


def test_someone_elses_import_is_not_found(org: Org, write_csv) -> None:
    job = checked(org.sales, write_csv([["姓名"], ["甲"]]))
    for user in (org.east_sales2, org.manager):
        client = _client(user)
        assert client.get(reverse("imports:check", args=[job.pk])).status_code == 404
        assert client.get(reverse("imports:errors", args=[job.pk])).status_code == 404
    assert _client(org.admin).get(reverse("imports:check", args=[job.pk])).status_code == 200


def test_only_admins_undo(org: Org, write_csv) -> None:
    from tests.imports.helpers import run

    job = run(checked(org.manager, write_csv([["姓名"], ["甲"]])))
    client = _client(org.manager)
    assert "撤销导入" not in client.get(reverse("imports:summary", args=[job.pk])).content.decode()
    assert client.post(reverse("imports:undo", args=[job.pk])).status_code == 403
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE


def test_salesperson_cannot_pick_another_owner_or_create_anyway(org: Org, write_csv) -> None:
    job = checked(org.sales, write_csv([["姓名"], ["甲"]]))
    client = _client(org.sales)
    response = client.post(
        reverse("imports:check", args=[job.pk]),
        {"policy": "create", "all_or_nothing": "0", "owner_rule": "team"},
    )
    assert response.status_code == 200
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED and job.policy == "skip"


def test_template_download_and_english_pages(org: Org, write_csv) -> None:
    client = _client(org.sales)
    response = client.get(reverse("imports:template", args=["customers"]))
    assert response.status_code == 200
    from io import BytesIO

    from openpyxl import load_workbook

    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    first = next(workbook.worksheets[0].iter_rows(values_only=True))
    assert "客户名称" in first and "手机" in first
    client.cookies["django_language"] = "en"
    page = client.get(reverse("imports:list"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Upload" in page.content.decode()


def test_the_list_is_paged_and_a_page_past_the_end_is_not_found(
    org: Org, django_assert_max_num_queries
) -> None:
    ImportJob.objects.bulk_create(
        ImportJob(
            user=org.sales, kind="customers", original_name=f"file{i:02d}.csv", headers=["名称"]
        )
        for i in range(30)
    )
    client = _client(org.sales)
    client.get(reverse("imports:list"))  # warm the session
    with django_assert_max_num_queries(12):
        first = client.get(reverse("imports:list")).content.decode()
    assert first.count("imports/") >= 25 and "1 / 2" in first
    assert ">file29.csv<" in first and ">file04.csv<" not in first  # newest first
    second = client.get(reverse("imports:list"), {"page": 2}).content.decode()
    assert ">file04.csv<" in second and ">file05.csv<" not in second and "2 / 2" in second
    assert client.get(reverse("imports:list"), {"page": 3}).status_code == 404
