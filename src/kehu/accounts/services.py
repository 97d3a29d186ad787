"""Every write to users, teams and tokens goes through here."""

from __future__ import annotations

import secrets
import string

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import ApiToken, Role, Team, User


def password_generate(length: int = 16) -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


def team_get_or_create(*, name: str) -> Team:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("团队名称不能为空。")})
    team, _created = Team.objects.get_or_create(name=name)
    return team


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str,
    team: Team | None = None,
    password: str | None = None,
    display_name: str = "",
    email: str = "",
) -> tuple[User, str]:
    """Create a user; returns the user and the (possibly generated) password."""
    if role not in Role.values:
        raise ValidationError(
            {
                "role": _("未知角色：%(role)s（可选：%(choices)s）")
                % {"role": role, "choices": ", ".join(Role.values)}
            }
        )
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("用户名已存在。")})
    password = password or password_generate()
    user = User(
        username=username,
        role=role,
        team=team,
        display_name=display_name,
        email=email,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    user.full_clean(exclude=["password"])
    validate_password(password, user)
    user.set_password(password)
    user.save()
    return user, password


@transaction.atomic
def user_update(
    *, user: User, role: str, team: Team | None, display_name: str, email: str, is_active: bool
) -> User:
    if role not in Role.values:
        raise ValidationError({"role": _("未知角色。")})
    user.role = role
    user.team = team
    user.display_name = display_name
    user.email = email
    user.is_active = is_active
    user.is_staff = user.is_superuser = role == Role.ADMIN
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create an API token; the raw value is returned once and never stored."""
    raw = ApiToken.new_raw()
    token = ApiToken.objects.create(
        user=user, name=name, digest=ApiToken.digest_of(raw), hint=raw[:9]
    )
    return token, raw


def token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def token_authenticate(raw: str) -> User | None:
    if not raw or not raw.startswith(ApiToken.PREFIX) or len(raw) > 200:
        return None
    tokens = ApiToken.objects.active().select_related("user", "user__team")
    try:
        # The digest is unique: ``get`` (``first`` would add an ORDER BY, and SQLite
        # may then walk the table in id order instead of the digest's index).
        token = tokens.get(digest=ApiToken.digest_of(raw))
    except ApiToken.DoesNotExist:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
