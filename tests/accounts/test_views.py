"""Password change and logout."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.accounts.models import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_password_change_checks_the_old_password_and_strength(client):
    user = make_user(Role.SALES, username="lilei")
    client.force_login(user)
    url = reverse("accounts:password_change")
    response = client.post(
        url,
        {
            "old_password": "wrong",
            "new_password1": "Xy-2026-kehu!",
            "new_password2": "Xy-2026-kehu!",
        },
    )
    assert response.status_code == 200 and response.context["form"].errors
    response = client.post(
        url, {"old_password": "pw-Kehu-2026", "new_password1": "123", "new_password2": "123"}
    )
    assert response.context["form"].errors
    response = client.post(
        url,
        {
            "old_password": "pw-Kehu-2026",
            "new_password1": "Xy-2026-kehu!",
            "new_password2": "Xy-2026-kehu!",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Xy-2026-kehu!")


def test_logout_is_a_post(client):
    client.force_login(make_user(Role.SALES))
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session
