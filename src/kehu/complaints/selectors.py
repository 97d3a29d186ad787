"""Reads of complaints and incidents, scoped to what the actor may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.complaints.access import complaint_visibility_q, complaints_visible_to
from kehu.complaints.models import (
    Complaint,
    ComplaintEscalation,
    ComplaintStep,
    Incident,
    IncidentUpdate,
    Severity,
    Status,
    StepKind,
)
from kehu.core.paging import PageNav
from kehu.customers.models import Customer
from kehu.customers.selectors import PageOutOfRange
from kehu.customers.timeline import Cursor, TimelineEvent

OPEN = "open"  # the queue's default: every status but closed


@dataclass
class ComplaintFilters:
    status: str = OPEN  # a Status, "open", or "" for all
    severity: str = ""
    overdue: bool = False
    mine: bool = False
    incident: int | None = None
    customer: int | None = None


@dataclass
class Page(PageNav):
    items: list[Complaint]
    page: int
    page_size: int
    count: int
    num_pages: int = 1
    filters: ComplaintFilters = field(default_factory=ComplaintFilters)


def _filtered(user: User, filters: ComplaintFilters, now: dt.datetime) -> QuerySet[Complaint]:
    complaints = complaints_visible_to(user)
    if filters.status == OPEN:
        complaints = complaints.exclude(status=Status.CLOSED)
    elif filters.status in Status.values:
        complaints = complaints.filter(status=filters.status)
    if filters.severity in Severity.values:
        complaints = complaints.filter(severity=filters.severity)
    if filters.overdue:
        complaints = complaints.filter(due_at__lt=now)
    if filters.mine:
        complaints = complaints.filter(handler=user)
    if filters.incident:
        complaints = complaints.filter(incident_id=filters.incident)
    if filters.customer:
        complaints = complaints.filter(customer_id=filters.customer)
    return complaints


def complaint_list(
    user: User,
    filters: ComplaintFilters,
    *,
    page: int = 1,
    page_size: int | None = None,
    now: dt.datetime | None = None,
) -> Page:
    """One page of the queue: nearest deadline first (overdue at the top), then the
    ones without a pending deadline, newest first."""
    page_size = page_size or settings.KEHU_PAGE_SIZE
    complaints = _filtered(user, filters, now or timezone.now())
    count = complaints.count()
    num_pages = max(1, -(-count // page_size))
    if not 1 <= page <= num_pages:
        raise PageOutOfRange
    start = (page - 1) * page_size
    items = list(
        complaints.select_related("customer", "handler", "incident").order_by(
            F("due_at").asc(nulls_last=True), "-received_at", "-id"
        )[start : start + page_size]
    )
    return Page(items, page, page_size, count, num_pages, filters)


def customer_complaints(
    user: User, customer: Customer, *, page: int = 1, page_size: int = 20, status: str = ""
) -> Page:
    """The customer's complaints the user may see, newest first."""
    complaints = complaints_visible_to(user).filter(customer=customer)
    if status in Status.values:
        complaints = complaints.filter(status=status)
    count = complaints.count()
    num_pages = max(1, -(-count // page_size))
    if not 1 <= page <= num_pages:
        raise PageOutOfRange
    start = (page - 1) * page_size
    items = list(
        complaints.select_related("handler").order_by("-received_at", "-id")[
            start : start + page_size
        ]
    )
    return Page(items, page, page_size, count, num_pages)


def customer_open_complaints(user: User, customer: Customer, *, limit: int = 5) -> list[Complaint]:
    return list(
        complaints_visible_to(user)
        .filter(customer=customer)
        .exclude(status=Status.CLOSED)
        .select_related("handler")
        .order_by(F("due_at").asc(nulls_last=True), "-id")[:limit]
    )


def complaint_steps(complaint: Complaint) -> list[ComplaintStep]:
    return list(complaint.steps.select_related("actor").order_by("at", "id")[:500])


def complaint_escalations(complaint: Complaint) -> list[ComplaintEscalation]:
    return list(
        complaint.escalations.prefetch_related("recipients").order_by("escalated_at", "id")[:100]
    )


def queue_counts(user: User, now: dt.datetime | None = None) -> dict[str, int]:
    """Open and overdue counts of the user's visible queue (for the page header)."""
    now = now or timezone.now()
    return (
        complaints_visible_to(user)
        .exclude(status=Status.CLOSED)
        .aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now)))
    )


# --- incidents ----------------------------------------------------------------------------


def incident_list(*, status: str = "", limit: int = 200) -> list[Incident]:
    incidents = Incident.objects.annotate(complaint_count=Count("complaints"))
    if status:
        incidents = incidents.filter(status=status)
    return list(incidents.order_by("-created_at", "-id")[:limit])


@dataclass
class AffectedCustomer:
    customer: Customer
    complaints: list[Complaint]


def incident_affected(
    user: User, incident: Incident, *, limit: int = 500
) -> list[AffectedCustomer]:
    """The incident's complaints the user may see, grouped by customer."""
    complaints = (
        Complaint.objects.filter(complaint_visibility_q(user), incident=incident)
        .select_related("customer", "handler")
        .order_by("customer_id", "-received_at", "-id")[:limit]
    )
    grouped: dict[int, AffectedCustomer] = {}
    for complaint in complaints:
        entry = grouped.setdefault(complaint.customer_id, AffectedCustomer(complaint.customer, []))
        entry.complaints.append(complaint)
    return list(grouped.values())


def incident_totals(incident: Incident) -> dict[str, int]:
    return Complaint.objects.filter(incident=incident).aggregate(
        complaints=Count("pk"),
        customers=Count("customer_id", distinct=True),
        open=Count("pk", filter=~Q(status=Status.CLOSED)),
    )


def incident_updates(incident: Incident) -> list[IncidentUpdate]:
    return list(incident.updates.select_related("created_by").order_by("-created_at", "-id")[:100])


# --- timeline ---------------------------------------------------------------------------


def complaint_events(customer: Customer, cursor: Cursor | None, limit: int) -> list[TimelineEvent]:
    """Every step of the customer's complaints (and incident updates sent to them)."""
    rows = ComplaintStep.objects.filter(complaint__customer=customer)
    if cursor:
        rows = rows.filter(cursor.q("complaint", "at"))
    rows = rows.select_related("actor", "complaint").order_by("-at", "-pk")[:limit]
    events = []
    for step in rows:
        number = step.complaint_id
        if step.kind == StepKind.CREATED:
            title = _("投诉 #%(id)d 已登记（%(severity)s · %(channel)s）") % {
                "id": number,
                "severity": step.complaint.get_severity_display(),
                "channel": step.complaint.get_channel_display(),
            }
        elif step.kind == StepKind.TRANSITION:
            title = _("投诉 #%(id)d：%(from)s → %(to)s") % {
                "id": number,
                "from": Status(step.from_status).label if step.from_status else "",
                "to": Status(step.to_status).label if step.to_status else "",
            }
        elif step.kind == StepKind.INCIDENT_UPDATE:
            title = _("危机通报（投诉 #%(id)d）") % {"id": number}
        else:
            title = _("投诉 #%(id)d 已修改") % {"id": number}
        events.append(
            TimelineEvent(
                at=step.at,
                kind="complaint",
                pk=step.pk,
                title=str(title),
                detail=step.note_text,
                actor=step.actor.label if step.actor else "",
                url=reverse("complaints:detail", args=[number]),
                extra={"status": step.to_status, "step": step.kind},
            )
        )
    return events
