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
