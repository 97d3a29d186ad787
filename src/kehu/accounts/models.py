"""Users, teams, roles and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel


class Role(models.TextChoices):
    ADMIN = "admin", _("管理员")
    MANAGER = "manager", _("经理")
    SALES = "sales", _("销售")
    SERVICE = "service", _("客服")
    ANALYST = "analyst", _("分析师")


class Team(TimeStampedModel):
    name = models.CharField(_("名称"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("团队")
        verbose_name_plural = _("团队")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.SALES)
    team = models.ForeignKey(
        Team,
        verbose_name=_("团队"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    display_name = models.CharField(_("姓名"), max_length=100, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")  # type: ignore[assignment]
        verbose_name_plural = _("用户")  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def label(self) -> str:
        return self.display_name or self.username

    # Role predicates: used by access helpers, never compared as bare strings elsewhere.
    @property
    def is_admin_role(self) -> bool:
        return self.is_active and (self.role == Role.ADMIN or self.is_superuser)

    @property
    def sees_all_customers(self) -> bool:
        return self.is_active and (self.is_admin_role or self.role in (Role.SERVICE, Role.ANALYST))

    @property
    def is_read_only(self) -> bool:
        return self.role == Role.ANALYST and not self.is_superuser


def _token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 digest is stored."""

    PREFIX = "kehu_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=100, blank=True)
    digest = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=16)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.hint}… ({self.user})"

    @classmethod
    def new_raw(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @staticmethod
    def digest_of(raw: str) -> str:
        return _token_digest(raw)
