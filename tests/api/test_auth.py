"""Who may call the API: Bearer tokens and the browser session; nobody else."""

from __future__ import annotations

import pytest
from django.test import Client

from kehu.accounts.services import token_create, token_revoke
from tests.api.conftest import ApiClient
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers"


def test_bearer_token_authenticates(org):
    make_customer(org.sales, name="张三")
    _token, raw = token_create(user=org.sales)
    response = ApiClient(raw).get(URL)
    assert response.status_code == 200
    assert [c["name"] for c in response.json()["items"]] == ["张三"]


def test_revoked_token_is_401(org):
    token, raw = token_create(user=org.sales)
    token_revoke(token=token)
    response = ApiClient(raw).get(URL)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_token_of_a_deactivated_user_is_401(org):
    _token, raw = token_create(user=org.sales)
    org.sales.is_active = False
    org.sales.save()
    assert ApiClient(raw).get(URL).status_code == 401


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer kehu_not-a-token", "Basic eDp5"])
def test_no_or_unknown_credentials_are_401(db, header):
    client = ApiClient()
    if header:
        client.headers = {"Authorization": header}
    for response in (client.get(URL), client.post(URL, {"name": "李四"})):
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"


def test_browser_session_reads_and_writes_with_csrf(org):
    client = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    client.force_login(org.sales)
    assert client.get(URL).status_code == 200

    refused = client.post(URL, {"name": "李四"}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"

    client.get("/api/docs")  # sets the CSRF cookie, as the pages do
    token = client.cookies["csrftoken"].value
    created = client.post(
        URL, {"name": "李四"}, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert created.status_code == 201, created.content
    assert created.json()["owner"]["username"] == org.sales.username
