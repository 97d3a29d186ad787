"""Each run of a background job (后台任务), recorded for admins.

The row written when a run starts is also the run's lock: at most one ``running`` (or
``queued``) row per job name (a partial unique index), so two workers never run the same
job at once, on SQLite or PostgreSQL, on one machine or several.
"""

from __future__ import annotations

import datetime as dt

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    # Asked for (a button) and waiting on the queue for a worker (``runs.run_request``).
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("运行中")
    OK = "ok", _("成功")
    ERROR = "error", _("出错")
    # The worker died (killed, machine restarted) before the run could finish.
    INTERRUPTED = "interrupted", _("被中断")


class JobRun(models.Model):
    name = models.CharField(_("任务"), max_length=50)
    status = models.CharField(
        _("状态"), max_length=12, choices=JobStatus.choices, default=JobStatus.RUNNING
    )
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    result = models.JSONField(_("结果"), null=True, blank=True, encoder=DjangoJSONEncoder)
    error = models.TextField(_("错误"), blank=True)
    host = models.CharField(_("主机"), max_length=255, blank=True)
    pid = models.PositiveIntegerField(_("进程号"), null=True, blank=True)
    # How far a run someone waits for has got (``runs.Progress``): units of work done
    # out of ``progress_total`` (customers, for a lifecycle apply).
    progress_done = models.PositiveIntegerField(_("已完成"), default=0)
    progress_total = models.PositiveIntegerField(_("总量"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("任务运行记录")
        verbose_name_plural = _("任务运行记录")
        constraints = [
            # At most one open run per name: running, or queued for a worker.
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(status__in=["running", "queued"]),
                name="jobrun_one_open",
            )
        ]
        indexes = [
            models.Index(fields=["name", "-started_at"], name="jobrun_name_started"),
            models.Index(fields=["status", "-started_at"], name="jobrun_status_started"),
            models.Index(fields=["-started_at"], name="jobrun_started"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.started_at:%Y-%m-%d %H:%M:%S} {self.status}"

    @property
    def duration(self) -> dt.timedelta | None:
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at
