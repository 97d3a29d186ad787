"""What was exported (导出记录), which roles may export, and each user's columns.

An export takes personal data out of the system: every one is recorded (who, which
list, the filters, the columns, the format, how many rows, when), and an admin can
switch exporting off for a role (``ExportRoleSetting``; a role without a row may).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Role


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (.xlsx)"
    VCF = "vcf", "vCard (.vcf)"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    ERROR = "error", _("出错")
    EXPIRED = "expired", _("已过期")


class ExportRecord(models.Model):
    """One export: streamed at once (``file_name`` empty) or written by a job into
    ``VAR_DIR/exports/`` and downloaded until ``expires_at``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导出人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    list_key = models.CharField(_("列表"), max_length=32)
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    columns = models.JSONField(_("列"), default=list)
    file_format = models.CharField(_("格式"), max_length=8, choices=ExportFormat.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.DONE
    )
    via = models.CharField(_("来源"), max_length=8, default="web")  # web, api, cli
    rows = models.PositiveIntegerField(_("行数"), default=0)
    rows_total = models.PositiveIntegerField(_("总行数"), null=True, blank=True)
    created_at = models.DateTimeField(_("导出时间"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("链接有效期至"), null=True, blank=True)
    file_name = models.CharField(_("文件"), max_length=255, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("导出记录")
        verbose_name_plural = _("导出记录")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="exportrecord_user_created"),
            models.Index(fields=["status", "expires_at"], name="exportrecord_status_expires"),
        ]

    def __str__(self) -> str:
        return f"{self.list_key} {self.file_format} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_background(self) -> bool:
        return bool(self.file_name) or self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)

    def is_expired(self, now: object = None) -> bool:
        moment = now or timezone.now()
        return self.status == ExportStatus.EXPIRED or (
            self.expires_at is not None and self.expires_at <= moment  # type: ignore[operator]
        )

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 100 if self.status == ExportStatus.DONE else 0
        return min(100, round(100 * self.rows / self.rows_total))


class ExportRoleSetting(models.Model):
    """Whether a role may export (default: yes, while no row says otherwise)."""

    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, unique=True)
    enabled = models.BooleanField(_("允许导出"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("导出权限")
        verbose_name_plural = _("导出权限")

    def __str__(self) -> str:
        return f"{self.role}: {self.enabled}"


class ExportColumnChoice(models.Model):
    """The columns a user last ticked for a list, offered again next time."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    list_key = models.CharField(max_length=32)
    columns = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "list_key"], name="exportcolumns_one_per_list")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.list_key}"
