"""Overdue complaints escalate to the manager, then the admins: once per level,
however often the job runs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.accounts.models import Role
from kehu.complaints.escalation import complaints_escalate
from kehu.complaints.models import Complaint, ComplaintEscalation, DeadlineKind, Status
from kehu.followups.models import Notification
from kehu.jobs.models import JobRun, JobStatus
from kehu.jobs.schedule import job_run, jobs_load
from tests.complaints.factories import ago, make_complaint, move, walk_to
from tests.factories import make_user

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


def levels(complaint: Complaint) -> list[tuple[str, int]]:
    return list(
        ComplaintEscalation.objects.filter(complaint=complaint)
        .order_by("escalated_at", "level")
        .values_list("deadline", "level")
    )


def test_time_moving_forward_escalates_manager_then_admins_once_each(org, book):
    start = timezone.now()
    complaint = make_complaint(org.service, book["own"], severity="critical", received_at=start)

    assert complaints_escalate(now=start + 30 * dt.timedelta(minutes=1)).escalated == 0

    report = complaints_escalate(now=start + 61 * dt.timedelta(minutes=1))
    assert report.escalated == 1 and report.notified == 1
    escalation = ComplaintEscalation.objects.get()
    assert (escalation.deadline, escalation.level) == (DeadlineKind.RESPONSE, 1)
    assert list(escalation.recipients.all()) == [org.manager]  # the handler's team manager
    note = Notification.objects.get(user=org.manager)
    assert "东一" in note.title_text and note.url.endswith(f"/complaints/{complaint.pk}/")

    # The job runs every five minutes: nothing twice.
    for minutes in (62, 70, 100):
        again = complaints_escalate(now=start + minutes * dt.timedelta(minutes=1))
        assert again.escalated == 0 and again.notified == 0
    assert Notification.objects.count() == 1

    # An hour past the deadline (critical: admin_after 1 h) the admins hear of it.
    report = complaints_escalate(now=start + 2 * H + dt.timedelta(minutes=1))
    assert report.escalated == 1
    assert levels(complaint) == [("response", 1), ("response", 2)]
    assert Notification.objects.filter(user=org.admin).count() == 1
    assert complaints_escalate(now=start + 3 * H).escalated == 0

    # Responded: now the resolution deadline (24 h) is the one that can run out.
    walk_to(org.service, complaint, Status.HANDLING)
    assert complaints_escalate(now=start + 23 * H).escalated == 0
    assert complaints_escalate(now=start + 26 * H).escalated == 2  # both levels due at once
    assert levels(complaint)[-2:] == [("resolution", 1), ("resolution", 2)]
    assert Notification.objects.count() == 4


def test_the_periodic_job_escalates_overdue_complaints_once(org, book):
    jobs_load()
    late = make_complaint(org.service, book["own"], severity="high", received_at=ago(hours=10))
    on_time = make_complaint(org.service, book["own"], severity="low")
    closed = make_complaint(org.service, book["west"], severity="high", received_at=ago(hours=10))
    move(org.service, closed, Status.CLOSED, close_reason="重复登记")

    first = job_run("complaints_escalate")
    assert first is not None and first.status == JobStatus.OK
    assert first.result == {"escalated": 2, "notified": 2}
    assert levels(late) == [("response", 1), ("response", 2)]
    assert not levels(on_time) and not levels(closed)

    second = job_run("complaints_escalate")
    assert second is not None and second.result == {"escalated": 0, "notified": 0}
    assert ComplaintEscalation.objects.count() == 2
    assert Notification.objects.count() == 2
    assert JobRun.objects.filter(name="complaints_escalate").count() == 2


def test_without_a_handler_the_customers_team_manager_hears(org, book):
    complaint = make_complaint(
        org.sales, book["own"], severity="critical", received_at=ago(hours=1.5)
    )
    assert complaint.handler is None
    complaints_escalate()
    escalation = ComplaintEscalation.objects.get(complaint=complaint, level=1)
    assert list(escalation.recipients.all()) == [org.manager]


def test_without_any_manager_the_admins_hear(org, book):
    lone = make_user(Role.SERVICE, team=None, username="lone_service")
    complaint = make_complaint(lone, book["pool"], severity="critical", received_at=ago(minutes=90))
    complaints_escalate()
    escalation = ComplaintEscalation.objects.get(complaint=complaint, level=1)
    assert list(escalation.recipients.all()) == [org.admin]
    assert Notification.objects.filter(user=org.admin).exists()


def test_a_reopened_complaint_can_escalate_again(org, book):
    start = timezone.now()
    complaint = make_complaint(org.service, book["own"], severity="critical", received_at=start)
    complaint = walk_to(org.service, complaint, Status.HANDLING)
    complaints_escalate(now=start + 30 * H)
    assert levels(complaint) == [("resolution", 1), ("resolution", 2)]
    complaint = move(org.service, complaint, Status.FEEDBACK, feedback="已退款")
    complaint = move(org.service, complaint, Status.CLOSED, customer_response="接受")
    complaint = move(org.service, complaint, Status.HANDLING, note="客户再次投诉")
    assert complaints_escalate(now=timezone.now() + H).escalated == 0
    assert complaints_escalate(now=timezone.now() + 24.5 * H).escalated == 1
    assert len(levels(complaint)) == 3


def test_the_detail_shows_escalations(client, org, book):
    complaint = make_complaint(
        org.service, book["own"], severity="critical", received_at=ago(hours=3)
    )
    complaints_escalate()
    client.force_login(org.service)
    html = client.get(f"/complaints/{complaint.pk}/").content.decode()
    assert "升级到经理" in html and "升级到管理员" in html and "已超时" in html


def test_an_escalation_reads_in_its_readers_language(org, book, client):
    """The job words nothing: the notification keeps the facts (deadline, severity) and
    reads in each reader's language."""
    from django.utils import translation

    start = timezone.now()
    complaint = make_complaint(org.service, book["own"], severity="critical", received_at=start)
    with translation.override("en"):
        complaints_escalate(now=start + 61 * dt.timedelta(minutes=1))
    note = Notification.objects.get(user=org.manager)
    assert (note.title, note.message) == ("", "complaints.escalated")
    assert (
        note.params["deadline"] == DeadlineKind.RESPONSE and note.params["severity"] == "critical"
    )
    client.force_login(org.manager)
    client.cookies["django_language"] = "en"
    english = client.get(reverse("followups:notifications")).content.decode()
    assert "Complaint escalated" in english and "投诉超时升级" not in english
    assert f"#{complaint.pk}" in english
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(reverse("followups:notifications")).content.decode()
    assert "投诉超时升级" in chinese and "首次响应已超时" in chinese and "紧急" in chinese
