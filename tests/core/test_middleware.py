"""A body over the size limit answers 413: JSON in the API, a page for forms."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from kehu.customers.models import Customer
from tests.api.conftest import api_client_for

pytestmark = pytest.mark.django_db

LIMIT = 2048  # bytes, for the test (the product allows 5 MB)


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT


def test_api_answers_413_json(org, caplog):
    api = api_client_for(org.sales)
    with caplog.at_level(logging.WARNING):
        response = api.post("/api/v1/customers", {"name": "大", "notes": "x" * LIMIT})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "request_too_large"
    assert body["message"] == "请求内容太大：最多 1 MB。"
    assert not Customer.objects.filter(name="大").exists()
    # One line in the log, no traceback.
    sent = len(json.dumps({"name": "大", "notes": "x" * LIMIT}).encode())
    assert [r.getMessage() for r in caplog.records if r.name == "django.request"] == [
        f"Request body too large: /api/v1/customers (Content-Length {sent})"
    ]
    assert "Traceback" not in caplog.text


def test_api_answers_413_for_a_body_that_is_not_json_either(org):
    response = api_client_for(org.sales).post("/api/v1/orders/batch", raw="{" * (LIMIT + 1))
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_api_under_the_limit_is_served(org):
    response = api_client_for(org.sales).post("/api/v1/customers", {"name": "小"})
    assert response.status_code == 201


def post_form(client, url, data, encoding, **extra):
    if encoding == "urlencoded":  # what a browser sends for a form without files
        return client.post(
            url, urlencode(data), content_type="application/x-www-form-urlencoded", **extra
        )
    return client.post(url, data, **extra)


@pytest.mark.parametrize("encoding", ["multipart", "urlencoded"])
def test_form_answers_a_413_page_in_the_users_language(client, org, encoding):
    client.force_login(org.sales)
    url = reverse("customers:create")
    big = {"name": "大", "notes": "x" * LIMIT}
    response = post_form(client, url, big, encoding, HTTP_REFERER=f"http://testserver{url}")
    assert response.status_code == 413
    html = response.content.decode()
    assert "请求内容太大：最多 1 MB。" in html
    assert '<nav class="navbar' in html  # in the app's layout
    assert f'href="http://testserver{url}"' in html  # back to the form
    assert not Customer.objects.filter(name="大").exists()

    client.cookies["django_language"] = "en"
    response = post_form(client, url, big, encoding, HTTP_REFERER="https://evil.example/")
    assert response.status_code == 413
    html = response.content.decode()
    assert "What you sent is too large: at most 1 MB." in html
    assert 'href="/"' in html  # never back to another site


def test_api_answers_413_even_when_an_endpoint_reads_the_body_first(org, settings):
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "kehu.core.middleware.RequestTooLargeMiddleware"
    ]
    response = api_client_for(org.sales).post("/api/v1/customers", {"notes": "x" * LIMIT})
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_api_multipart_bodies_are_left_for_the_api_to_read(org, client):
    """Parsing a multipart body would consume what the API reads raw (a 500)."""
    api = api_client_for(org.sales)
    customer = api.post("/api/v1/customers", {"name": "表单"}).json()
    response = api.client.post(
        f"/api/v1/customers/{customer['id']}/release", {"reason": "x"}, headers=api.headers
    )
    assert response.status_code == 400  # not JSON: refused as input, not a crash
    assert response.json()["code"] == "malformed_json"
    response = api.client.post(
        f"/api/v1/customers/{customer['id']}/release", {"reason": "x" * LIMIT}, headers=api.headers
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
