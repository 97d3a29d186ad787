"""Overdue complaints escalate (投诉超时升级): at the deadline to the handler's team
manager (level 1), and ``admin_after_hours`` later to the admins (level 2).

Run every five minutes by the job queue. Safe to run twice, concurrently, or after
a worker died half-way: each escalation exists once per complaint, deadline, level
and due time (a unique constraint), and each in-app notification once per
recipient (``Notification.key``), both written in one transaction per complaint.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation

from kehu.accounts.models import Role, User
from kehu.complaints import texts
from kehu.complaints.models import Complaint, ComplaintEscalation, Status
from kehu.complaints.services import deadline_for
from kehu.followups.models import Notification

LEVEL_MANAGER = 1
LEVEL_ADMIN = 2


@dataclass
class EscalationReport:
    escalated: int = 0
    notified: int = 0


def admins() -> QuerySet[User]:
    return User.objects.filter(is_active=True).filter(Q(role=Role.ADMIN) | Q(is_superuser=True))


def managers_of(complaint: Complaint) -> list[User]:
    """The handler's team managers; else the customer's team's; else the admins."""
    for team_id in (
        complaint.handler.team_id if complaint.handler else None,
        complaint.customer.team_id,
    ):
        if team_id:
            found = list(User.objects.filter(is_active=True, role=Role.MANAGER, team_id=team_id))
            if found:
                return found
    return list(admins())


def recipients_for(complaint: Complaint, level: int) -> list[User]:
    return managers_of(complaint) if level == LEVEL_MANAGER else list(admins())


def _levels_due(complaint: Complaint, now: dt.datetime) -> list[int]:
    assert complaint.due_at is not None
    levels = [LEVEL_MANAGER]
    if now >= complaint.due_at + deadline_for(complaint.severity).admin_after:
        levels.append(LEVEL_ADMIN)
    return levels


def complaints_escalate(*, now: dt.datetime | None = None, batch: int = 500) -> EscalationReport:
    """Escalate every overdue open complaint not yet escalated at the levels due."""
    now = now or timezone.now()
    fully_escalated = ComplaintEscalation.objects.filter(
        complaint_id=OuterRef("pk"),
        deadline=OuterRef("due_kind"),
        due_at=OuterRef("due_at"),
        level=LEVEL_ADMIN,
    )
    overdue = (
        Complaint.objects.filter(due_at__lte=now, customer__deleted_at__isnull=True)
        .exclude(status=Status.CLOSED)
        .exclude(Exists(fully_escalated))
        .select_related("customer", "handler")
        .order_by("due_at", "id")
    )
    report = EscalationReport()
    with translation.override(settings.LANGUAGE_CODE):
        for complaint in overdue[:batch]:
            for level in _levels_due(complaint, now):
                escalated, notified = _escalate(complaint, level, now)
                report.escalated += escalated
                report.notified += notified
    return report


def _escalate(complaint: Complaint, level: int, now: dt.datetime) -> tuple[int, int]:
    assert complaint.due_at is not None
    try:
        with transaction.atomic():
            escalation, created = ComplaintEscalation.objects.get_or_create(
                complaint=complaint,
                deadline=complaint.due_kind,
                level=level,
                due_at=complaint.due_at,
                defaults={"escalated_at": now},
            )
            if not created:
                return 0, 0
            users = recipients_for(complaint, level)
            escalation.recipients.set(users)
            notified = _notify(complaint, escalation, users, now)
    except IntegrityError:  # another worker escalated it at the same moment
        return 0, 0
    return 1, notified


def _notify(
    complaint: Complaint, escalation: ComplaintEscalation, users: list[User], now: dt.datetime
) -> int:
    overdue_by = now - escalation.due_at
    params = {
        "customer": complaint.customer.name,
        "deadline": escalation.deadline,
        "id": complaint.pk,
        "severity": complaint.severity,
        "handler": complaint.handler.label if complaint.handler else None,
        "hours": int(overdue_by.total_seconds() // 3600),
        "minutes": int(overdue_by.total_seconds() % 3600 // 60),
    }
    stamp = int(escalation.due_at.timestamp())
    rows = [
        Notification(
            user=user,
            key=f"complaint_esc:{complaint.pk}:{escalation.deadline[:3]}:{escalation.level}:"
            f"{stamp}:{user.pk}",
            message=texts.ESCALATED,
            params=params,
            url=reverse("complaints:detail", args=[complaint.pk]),
            created_at=now,
        )
        for user in users
    ]
    keys = [row.key for row in rows]
    existing = set(Notification.objects.filter(key__in=keys).values_list("key", flat=True))
    fresh = [row for row in rows if row.key not in existing]
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)
