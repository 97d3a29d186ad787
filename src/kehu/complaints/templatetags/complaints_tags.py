"""Badges of the complaint pages: status, severity and the time left (or overdue by)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kehu.complaints.models import Complaint, DeadlineKind
from kehu.core.numbers import duration_text

register = template.Library()

STATUS_BADGES = {
    "received": "text-bg-info",
    "recorded": "text-bg-primary",
    "handling": "text-bg-warning",
    "feedback": "text-bg-success",
    "closed": "text-bg-secondary",
}
SEVERITY_BADGES = {
    "low": "text-bg-light",
    "medium": "text-bg-info",
    "high": "text-bg-warning",
    "critical": "text-bg-danger",
}


@register.filter
def complaint_status_badge(status: str) -> str:
    return STATUS_BADGES.get(status, "text-bg-light")


@register.filter
def severity_badge(severity: str) -> str:
    return SEVERITY_BADGES.get(severity, "text-bg-light")


@register.simple_tag
def time_left_badge(complaint: Complaint, now: dt.datetime | None = None) -> SafeString:
    left = complaint.time_left(now or timezone.now())
    if left is None:
        return mark_safe("")
    deadline = DeadlineKind(complaint.due_kind).label if complaint.due_kind else ""
    span = duration_text(left)
    if left.total_seconds() < 0:
        text = _("%(deadline)s已超时 %(span)s") % {"deadline": deadline, "span": span}
        css = "text-bg-danger"
    else:
        text = _("%(deadline)s剩余 %(span)s") % {"deadline": deadline, "span": span}
        css = "text-bg-warning" if left < dt.timedelta(hours=2) else "text-bg-light border"
    local = timezone.localtime(complaint.due_at).strftime("%Y-%m-%d %H:%M")
    return format_html('<span class="badge {}" title="{}">{}</span>', css, local, text)
