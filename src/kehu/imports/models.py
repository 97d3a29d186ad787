"""An import (导入) and what it did, row by row.

``ImportJob`` is the record of one upload: who, which file, how it was mapped, the
policy chosen, the counts and where it stands (``ImportStatus``). ``ImportRow`` is one
row of the file once checked or run: its outcome, the record it wrote, the values an
update replaced (for undo) and, for rows not written, the cells and what is wrong (the
error report). A row is unique per job, so a run that resumes after a worker died never
writes a row twice. ``SavedMapping`` is a mapping offered again for a file with the
same headers.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Team
from kehu.core.models import TimeStampedModel


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("客户")
    ORDERS = "orders", _("订单")
    INTERACTIONS = "interactions", _("跟进记录")
    PRODUCTS = "products", _("商品")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("已上传")
    READING = "reading", _("读取中")
    MAPPING = "mapping", _("待映射")
    CHECKING = "checking", _("检查中")
    CHECKED = "checked", _("已检查")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    UNDONE = "undone", _("已撤销")


class DuplicatePolicy(models.TextChoices):
    SKIP = "skip", _("跳过")
    FILL = "fill", _("只补充空白字段")
    OVERWRITE = "overwrite", _("覆盖")
    CREATE = "create", _("仍然新建")


class OwnerRule(models.TextChoices):
    IMPORTER = "importer", _("导入人")
    COLUMN = "column", _("按文件中的负责人列")
    TEAM = "team", _("团队内轮流分配")
    USER = "user", _("指定用户")
    POOL = "pool", _("公海")


class RowOutcome(models.TextChoices):
    NEW = "new", _("新建")
    UPDATE = "update", _("更新")
    DUPLICATE = "duplicate", _("重复")
    ERROR = "error", _("错误")
    SKIPPED = "skipped", _("跳过")


class ImportJob(TimeStampedModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        on_delete=models.PROTECT,
        related_name="imports",
    )
    kind = models.CharField(_("导入内容"), max_length=16, choices=ImportKind.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    file_path = models.CharField(max_length=500)  # relative to VAR_DIR
    original_name = models.CharField(_("文件名"), max_length=255)
    size = models.PositiveBigIntegerField(_("大小"), default=0)
    sheet = models.CharField(_("工作表"), max_length=100, blank=True)
    sheets = models.JSONField(default=list, blank=True)
    headers = models.JSONField(default=list, blank=True)
    header_row = models.PositiveIntegerField(default=1)
    total_rows = models.PositiveIntegerField(_("行数"), null=True, blank=True)
    samples = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    mapping = models.JSONField(default=dict, blank=True)  # header → field key or ""
    value_mapping = models.JSONField(default=dict, blank=True)  # field → {raw: choice}
    owner_rule = models.CharField(
        _("负责人"), max_length=10, choices=OwnerRule.choices, default=OwnerRule.IMPORTER
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    policy = models.CharField(
        _("重复处理"), max_length=10, choices=DuplicatePolicy.choices, default=DuplicatePolicy.SKIP
    )
    all_or_nothing = models.BooleanField(_("全部成功才导入"), default=False)
    new_count = models.PositiveIntegerField(default=0)
    update_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    written_count = models.PositiveIntegerField(default=0)
    progress = models.FloatField(default=0.0)
    message = models.TextField(_("错误信息"), blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    # What the dry run's stored row plans were made under (kehu.imports.plans): the
    # run writes them without checking each row again while this still matches.
    plan_key = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("导入")
        verbose_name_plural = _("导入")
        indexes = [models.Index(fields=["user", "-created_at"], name="importjob_user_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"

    @property
    def directory(self) -> str:
        return f"imports/{self.pk}"

    @property
    def is_busy(self) -> bool:
        return self.status in (ImportStatus.READING, ImportStatus.CHECKING, ImportStatus.RUNNING)

    @property
    def percent(self) -> int:
        return max(0, min(100, round(self.progress * 100)))


class ImportRow(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField()  # the row's number in the original file
    outcome = models.CharField(max_length=10, choices=RowOutcome.choices)
    done = models.BooleanField(default=False)  # processed by the run (not the dry run)
    target_model = models.CharField(max_length=50, blank=True)
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target_version = models.PositiveIntegerField(null=True, blank=True)  # after the write
    old_values = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    error = models.TextField(blank=True)
    cells = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    # The dry run's checked values of a row to write (customers), for the run.
    plan = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["job", "number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="importrow_once"),
        ]
        indexes = [models.Index(fields=["job", "outcome"], name="importrow_job_outcome")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.number} {self.outcome}"


# An ImportRow's columns, for the steps that write thousands with ``rows_insert``.
ROW_FIELDS = [f.attname for f in ImportRow._meta.concrete_fields if not f.primary_key]


def header_signature(kind: str, headers: list[str]) -> str:
    """Files with the same headers (in any order) share a saved mapping."""
    text = json.dumps([kind, sorted(h.strip().lower() for h in headers)], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


class SavedMapping(TimeStampedModel):
    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    signature = models.CharField(max_length=40)
    name = models.CharField(_("名称"), max_length=100)
    mapping = models.JSONField(default=dict)
    value_mapping = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="savedmapping_name_once"),
        ]
        indexes = [models.Index(fields=["kind", "signature"], name="savedmapping_signature")]

    def __str__(self) -> str:
        return self.name
