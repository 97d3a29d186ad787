"""Login is throttled: repeated failures lock the username for a while."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.accounts.models import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_five_failures_lock_the_account_even_for_the_right_password(client, settings):
    settings.AXES_FAILURE_LIMIT = 5
    make_user(Role.SALES, username="lilei")
    url = reverse("accounts:login")
    for _ in range(5):
        response = client.post(url, {"username": "lilei", "password": "wrong"})
    assert response.status_code in (403, 429)
    response = client.post(url, {"username": "lilei", "password": "pw-Kehu-2026"})
    assert response.status_code in (403, 429)
    assert "_auth_user_id" not in client.session


def test_right_password_logs_in(client):
    make_user(Role.SALES, username="hanmeimei")
    response = client.post(
        reverse("accounts:login"), {"username": "hanmeimei", "password": "pw-Kehu-2026"}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


# Behind one reverse proxy (nginx at 10.0.0.2, KEHU_PROXY_COUNT=1): nginx appends the
# address that connected to it to whatever X-Forwarded-For the client sent.
PROXY = "10.0.0.2"


def login_through_proxy(client, client_address, password="wrong", *, sent=""):
    """A login POST as nginx passes it on; ``sent`` is what the client put in the header."""
    forwarded = f"{sent}, {client_address}" if sent else client_address
    return client.post(
        reverse("accounts:login"),
        {"username": "lilei", "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_clients_behind_one_proxy_are_throttled_separately(client, settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.KEHU_PROXY_COUNT = 1
    make_user(Role.SALES, username="lilei")
    for _ in range(5):
        response = login_through_proxy(client, "198.51.100.7")
    assert response.status_code == 429
    assert login_through_proxy(client, "198.51.100.7", "pw-Kehu-2026").status_code == 429
    # The owner, from another address behind the same proxy, still gets in.
    response = login_through_proxy(client, "198.51.100.8", "pw-Kehu-2026")
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_forged_forwarded_for_entries_do_not_escape_the_lock(client, settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.KEHU_PROXY_COUNT = 1
    make_user(Role.SALES, username="lilei")
    for attempt in range(5):
        response = login_through_proxy(client, "198.51.100.7", sent=f"203.0.113.{attempt}")
    assert response.status_code == 429
    for sent in ("203.0.113.99", "198.51.100.8", "198.51.100.8, 10.0.0.2", "junk"):
        response = login_through_proxy(client, "198.51.100.7", "pw-Kehu-2026", sent=sent)
        assert response.status_code == 429, sent
    assert "_auth_user_id" not in client.session


def test_without_a_proxy_the_header_is_ignored(client, settings):
    settings.AXES_FAILURE_LIMIT = 5
    assert settings.KEHU_PROXY_COUNT == 0
    make_user(Role.SALES, username="lilei")
    for attempt in range(5):
        response = client.post(
            reverse("accounts:login"),
            {"username": "lilei", "password": "wrong"},
            REMOTE_ADDR="198.51.100.7",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}",
        )
    assert response.status_code == 429
