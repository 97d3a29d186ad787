from __future__ import annotations

from pathlib import Path
from typing import Any

from django.test import Client

from kehu.accounts.models import User
from kehu.accounts.services import token_create
from kehu.customers.models import Customer
from tests.api.conftest import api_client_for, assert_error_documented
from tests.conftest import Org


def _post(user: User, path: Path, **fields: Any) -> Any:
    _token, raw = token_create(user=user, name="test")
    client = Client(HTTP_HOST="localhost")
    with path.open("rb") as handle:
        response = client.post(
            "/api/v1/imports",
            {"file": handle, "kind": "customers", **fields},
            headers={"Authorization": f"Bearer {raw}"},
        )
    assert_error_documented("POST", "/api/v1/imports", response)
    return response


def test_dry_run_then_run_and_undo(org: Org, write_csv) -> None:
    path = write_csv([["姓名", "手机"], ["赵一", "13800138000"], ["", "13800138001"]])
    response = _post(org.admin, path, dry_run="true")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "checked" and body["dry_run"] is True
    assert body["counts"]["new"] == 1 and body["counts"]["error"] == 1
    assert not Customer.objects.filter(name="赵一").exists()
    api = api_client_for(org.admin)
    errors = api.get(f"/api/v1/imports/{body['id']}/errors")
    assert errors.status_code == 200

    body = _post(org.admin, path).json()
    assert body["status"] == "done" and body["counts"]["written"] == 1
    assert Customer.objects.get(name="赵一").owner == org.admin
    assert api.get(f"/api/v1/imports/{body['id']}").json()["counts"]["new"] == 1
    undone = api.post(f"/api/v1/imports/{body['id']}/undo")
    assert undone.status_code == 200 and undone.json()["removed"] == 1
    assert undone.json()["status"] == "undone"


def test_roles_refused(org: Org, write_csv) -> None:
    path = write_csv([["姓名"], ["钱二"]])
    assert _post(org.analyst, path).status_code == 403
    assert _post(org.service, path).status_code == 403
    assert _post(org.sales, path, policy="create").status_code == 422
    body = _post(org.sales, path).json()
    assert body["status"] == "done"
    assert api_client_for(org.west_sales).get(f"/api/v1/imports/{body['id']}").status_code == 404
    undo = api_client_for(org.sales).post(f"/api/v1/imports/{body['id']}/undo")
    assert undo.status_code == 403


def test_a_file_that_is_no_workbook_is_refused_at_once(org: Org, tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"this is not a workbook")
    response = _post(org.admin, path)
    assert response.status_code == 400 and response.json()["code"] == "file_rejected"


def test_a_file_without_data_rows_fails_with_a_message(org: Org, write_csv) -> None:
    body = _post(org.admin, write_csv([["姓名", "手机"]])).json()
    assert body["status"] == "failed" and body["message"]
