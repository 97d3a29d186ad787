"""How long a complaint is overdue reads in days, hours only under a day, in both
languages with plural forms (the escalation notice said "已超时 1333 小时 5 分钟")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from kehu.complaints.escalation import complaints_escalate
from kehu.complaints.templatetags.complaints_tags import time_left_badge
from kehu.followups.models import Notification
from tests.complaints.factories import make_complaint

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


def test_an_escalation_long_overdue_says_days(org, book):
    start = timezone.now()
    make_complaint(org.service, book["own"], severity="critical", received_at=start)
    # Critical: respond within an hour; the job had not run for 55 days.
    complaints_escalate(now=start + 1333 * H + dt.timedelta(minutes=5))
    body = Notification.objects.get(user=org.manager).body_text
    assert body.endswith("已超时 55 天")  # worded when read, in the reader's language
    assert "小时" not in body


@pytest.mark.parametrize(
    ("late", "zh", "en"),
    [
        (25 * H, "已超时 1 天<", "overdue by 1 day<"),
        (49 * H, "已超时 2 天<", "overdue by 2 days<"),
        (3 * H + dt.timedelta(minutes=20), "已超时 3 小时<", "overdue by 3 hours<"),
        (dt.timedelta(minutes=1, seconds=30), "已超时 1 分钟<", "overdue by 1 minute<"),
    ],
)
def test_the_deadline_badge_says_days_then_hours(org, book, late, zh, en):
    complaint = make_complaint(org.service, book["own"], severity="critical")
    now = complaint.due_at + late
    with translation.override("zh-hans"):
        assert zh in time_left_badge(complaint, now)
    with translation.override("en"):
        assert en in time_left_badge(complaint, now)
