"""403, 404 and 500 in the app's own layout and the user's language; the API keeps
answering JSON."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from kehu.shell import views


def _english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


@pytest.mark.django_db
def test_a_refused_page_has_the_layout_in_the_users_language(client, org):
    """A salesperson opening the value dashboard: a page with the bar, in English."""
    client.force_login(org.sales)
    response = _english(client).get(reverse("value:dashboard"))
    html = response.content.decode()
    assert response.status_code == 403
    assert '<html lang="en">' in html and '<nav class="navbar' in html
    assert 'id="user-menu"' in html and "Log out" in html  # the whole bar, not a bare page
    assert 'id="error-page"' in html and "Not allowed" in html
    assert "没有权限" not in html and "403 Forbidden" not in html


@pytest.mark.django_db
def test_a_refused_page_in_chinese(client, org):
    client.force_login(org.sales)
    html = client.get(reverse("value:dashboard")).content.decode()
    assert '<html lang="zh-hans">' in html and "没有权限" in html and "退出" in html


@pytest.mark.django_db
def test_a_missing_page_has_the_layout_in_the_users_language(client, org):
    client.force_login(org.sales)
    response = _english(client).get(reverse("customers:detail", args=[987654]))
    html = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="en">' in html and 'id="user-menu"' in html
    assert "Page not found" in html and "页面不存在" not in html


@pytest.mark.django_db
def test_an_unknown_address_has_the_layout_for_anyone(client):
    response = _english(client).get("/no/such/page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert '<nav class="navbar' in html and "Page not found" in html
    assert 'id="language-menu"' in html  # no user: only the language switch


def test_the_500_page_renders_without_a_database_or_request_context():
    """No ``db`` fixture: any query would fail this test."""
    request = RequestFactory().get("/customers/")
    with translation.override("en"):
        response = views.server_error(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert '<html lang="en">' in html and '<nav class="navbar' in html
    assert "Something went wrong" in html and "出错了" not in html


@pytest.mark.django_db
def test_an_unexpected_error_answers_the_500_page(client, org, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("kehu.orders.views.order_list", broken)
    client = Client(raise_request_exception=False)
    client.force_login(org.admin)
    response = client.get(reverse("orders:list"))
    assert response.status_code == 500
    assert "出错了" in response.content.decode()


def test_the_api_keeps_answering_json():
    factory = RequestFactory()
    cases = [
        (views.permission_denied(factory.get("/api/v1/x"), PermissionDenied()), 403, "forbidden"),
        (views.page_not_found(factory.get("/api/v1/x"), Http404()), 404, "not_found"),
        (views.server_error(factory.get("/api/v1/x")), 500, "server_error"),
    ]
    for response, status, code in cases:
        assert response.status_code == status
        assert response["Content-Type"] == "application/json"
        assert json.loads(response.content)["code"] == code


@pytest.mark.django_db
def test_an_unknown_api_address_is_still_json(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code in (401, 404)
    assert response["Content-Type"].startswith("application/json")


def test_favicon_ico_answers(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("kehu/favicon.svg")


@pytest.mark.django_db
def test_a_form_without_its_csrf_token_answers_the_layout_not_djangos_page(org):
    client = _english(Client(enforce_csrf_checks=True))
    client.force_login(org.sales)
    response = client.post(reverse("accounts:logout"))
    html = response.content.decode()
    assert response.status_code == 403
    assert '<nav class="navbar' in html and "This page has expired" in html
    assert "CSRF verification failed" not in html
