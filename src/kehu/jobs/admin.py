from __future__ import annotations

import json

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kehu.jobs.models import JobRun


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    """Every run of every background job, read-only: what ran, when, how it ended."""

    list_display = ("name", "status", "started_at", "duration_text", "summary", "host", "pid")
    list_filter = ("status", "name")
    search_fields = ("name", "error")
    date_hierarchy = "started_at"
    list_per_page = 50
    fields = (
        "name",
        "status",
        "started_at",
        "finished_at",
        "duration_text",
        "result_text",
        "error",
        "host",
        "pid",
        "progress_done",
        "progress_total",
    )
    readonly_fields = fields

    @admin.display(description=_("用时"))
    def duration_text(self, run: JobRun) -> str:
        duration = run.duration
        return "" if duration is None else f"{duration.total_seconds():.1f} s"

    @admin.display(description=_("结果"))
    def summary(self, run: JobRun) -> str:
        if run.error:
            return run.error.strip().splitlines()[-1][:120]
        if isinstance(run.result, dict):
            return ", ".join(f"{k}={v}" for k, v in run.result.items())[:120]
        return "" if run.result is None else str(run.result)[:120]

    @admin.display(description=_("结果"))
    def result_text(self, run: JobRun) -> str:
        return json.dumps(run.result, ensure_ascii=False, indent=2)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: JobRun | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: JobRun | None = None) -> bool:
        return False
