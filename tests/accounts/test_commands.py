"""`kehu user add` and `kehu token create|revoke|list`."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from kehu.accounts.models import ApiToken, Role, User
from kehu.accounts.services import token_authenticate

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_user_add_prints_a_generated_password_that_works():
    output = run("user", "add", "lilei", "--role", "sales", "--team", "华东")
    password = output.split("password: ")[1].strip()
    user = User.objects.get(username="lilei")
    assert user.role == Role.SALES and user.team is not None and user.team.name == "华东"
    assert len(password) >= 12 and user.check_password(password)


def test_user_add_refuses_unknown_role_and_duplicate_username():
    with pytest.raises(CommandError):
        run("user", "add", "x", "--role", "boss")
    run("user", "add", "hanmeimei", "--role", "manager")
    with pytest.raises(CommandError, match="用户名已存在"):
        run("user", "add", "HanMeimei", "--role", "sales")


def test_admin_role_gets_admin_site_rights():
    run("user", "add", "root2", "--role", "admin")
    user = User.objects.get(username="root2")
    assert user.is_superuser and user.is_staff and user.is_admin_role


def test_token_create_prints_a_token_stored_only_as_a_digest():
    run("user", "add", "api_user", "--role", "analyst")
    raw = run("token", "create", "api_user").strip()
    assert raw.startswith("kehu_")
    token = ApiToken.objects.get()
    assert token.digest != raw and raw not in token.digest
    assert token_authenticate(raw) == User.objects.get(username="api_user")
    run("token", "revoke", str(token.pk))
    assert token_authenticate(raw) is None
    assert "revoked" in run("token", "list")


def test_token_for_unknown_or_inactive_user_is_refused():
    with pytest.raises(CommandError):
        run("token", "create", "nobody")
    run("user", "add", "gone", "--role", "sales")
    User.objects.filter(username="gone").update(is_active=False)
    with pytest.raises(CommandError):
        run("token", "create", "gone")


def test_token_of_a_deactivated_user_stops_working():
    run("user", "add", "leaver", "--role", "sales")
    raw = run("token", "create", "leaver").strip()
    User.objects.filter(username="leaver").update(is_active=False)
    assert token_authenticate(raw) is None
    assert token_authenticate("kehu_forged") is None
    assert token_authenticate("") is None
