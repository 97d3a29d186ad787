"""Complaints and incidents: every write.

The workflow (投诉处理流程)::

    received ──► recorded ──► handling ──► feedback ──► closed
        │            │            ▲  │         │  ▲        │
        └────────────┴─ closed    │  └─ closed │  │        │
                                  └────────────┘  └ reopen ┘ (closed → handling)

Closing needs the feedback given (status *feedback*) and the customer's response,
or else a reason (a duplicate, the customer withdrew...). Every change carries the
version the user read: a stale one is refused (``ConflictError``), nothing is lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import Role, User
from kehu.complaints import texts
from kehu.complaints.access import can_handle, can_log_complaint, can_manage_incidents
from kehu.complaints.models import (
    Complaint,
    ComplaintDeadline,
    ComplaintStep,
    DeadlineKind,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Severity,
    Status,
    StepKind,
    UpdateChannel,
)
from kehu.core.dates import business_moment_check
from kehu.core.errors import ConflictError
from kehu.core.events import CustomerEvent, emit
from kehu.customers.models import Customer
from kehu.orders.models import Order, Product

# severity → (first response, resolution, admins after the deadline), in hours.
DEFAULT_DEADLINES: dict[str, tuple[int, int, int]] = {
    Severity.CRITICAL: (1, 24, 1),
    Severity.HIGH: (4, 48, 4),
    Severity.MEDIUM: (24, 5 * 24, 24),
    Severity.LOW: (48, 10 * 24, 48),
}

TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.RECEIVED: (Status.RECORDED, Status.CLOSED),
    Status.RECORDED: (Status.HANDLING, Status.CLOSED),
    Status.HANDLING: (Status.FEEDBACK, Status.CLOSED),
    Status.FEEDBACK: (Status.CLOSED, Status.HANDLING),
    Status.CLOSED: (Status.HANDLING,),  # reopen
}

COMPLAINT_FIELDS = ("channel", "category", "severity", "description")
COMPLAINT_REFS = ("order_id", "product_id", "handler_id", "incident_id")
MAX_NOTE = 2000


class InvalidTransition(ConflictError):
    """The complaint cannot move from its status to the one asked for."""

    code = "invalid_transition"


def allowed_transitions(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def deadline_for(severity: str) -> ComplaintDeadline:
    """The configured deadlines of ``severity`` (the defaults if an admin deleted them)."""
    found = ComplaintDeadline.objects.filter(severity=severity).first()
    if found is not None:
        return found
    response, resolution, admins = DEFAULT_DEADLINES.get(severity, DEFAULT_DEADLINES["medium"])
    return ComplaintDeadline(
        severity=severity,
        response_hours=response,
        resolution_hours=resolution,
        admin_after_hours=admins,
    )


def _set_pending(complaint: Complaint) -> None:
    """``due_kind``/``due_at``: the earliest deadline not yet met (none once resolved)."""
    pending: list[tuple[dt.datetime, str]] = []
    if complaint.status != Status.CLOSED:
        if complaint.responded_at is None:
            pending.append((complaint.response_due_at, DeadlineKind.RESPONSE))
        if complaint.resolved_at is None:
            pending.append((complaint.resolution_due_at, DeadlineKind.RESOLUTION))
    if pending:
        complaint.due_at, complaint.due_kind = min(pending)
    else:
        complaint.due_at, complaint.due_kind = None, ""


def handler_candidates(customer: Customer) -> QuerySet[User]:
    """Who may handle this customer's complaints: the service team, admins, and the
    managers who may change the customer."""
    managers = (
        Q(role=Role.MANAGER, pk=customer.owner_id) if customer.owner_id else Q(role=Role.MANAGER)
    )
    if customer.team_id:
        managers |= Q(role=Role.MANAGER, team_id=customer.team_id)
    return (
        User.objects.filter(is_active=True)
        .filter(Q(role__in=[Role.SERVICE, Role.ADMIN]) | Q(is_superuser=True) | managers)
        .select_related("team")
        .order_by("username")
    )


def _clean(data: Mapping[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({key: _("未知字段。") for key in sorted(unknown)})
    return {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}


def _resolve_refs(complaint: Complaint, refs: Mapping[str, Any]) -> None:
    """Set order/product/handler/incident from ids, each checked (unknown → field error)."""
    customer = complaint.customer
    errors: dict[str, str] = {}
    if "order_id" in refs:
        order_id = refs["order_id"]
        if order_id is None:
            complaint.order = None
        else:
            order = Order.objects.filter(pk=order_id, customer_id=customer.pk).first()
            if order is None:
                errors["order_id"] = _("该客户没有这个订单。")
            else:
                complaint.order = order
    if "product_id" in refs:
        product_id = refs["product_id"]
        product = Product.objects.filter(pk=product_id).first() if product_id else None
        if product_id and product is None:
            errors["product_id"] = _("没有这个产品。")
        else:
            complaint.product = product
    if "handler_id" in refs:
        handler_id = refs["handler_id"]
        handler = handler_candidates(customer).filter(pk=handler_id).first() if handler_id else None
        if handler_id and handler is None:
            errors["handler_id"] = _("该用户不能处理这位客户的投诉。")
        else:
            complaint.handler = handler
    if "incident_id" in refs:
        incident_id = refs["incident_id"]
        incident = Incident.objects.filter(pk=incident_id).first() if incident_id else None
        if incident_id and incident is None:
            errors["incident_id"] = _("没有这个危机事件。")
        else:
            complaint.incident = incident
    if errors:
        raise ValidationError(errors)


def _step(
    complaint: Complaint,
    actor: User | None,
    kind: str,
    *,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    at: dt.datetime | None = None,
    message: str = "",
    params: dict[str, Any] | None = None,
) -> ComplaintStep:
    """A step, with the note a person typed, or (worded by the system around what
    people typed) a message code and its facts (``kehu.complaints.texts``)."""
    return ComplaintStep.objects.create(
        complaint=complaint,
        kind=kind,
        actor=actor,
        at=at or timezone.now(),
        from_status=from_status,
        to_status=to_status,
        note=note[:5000],
        message=message,
        params=params,
    )


def _emit(kind: str, complaint: Complaint, actor: User | None) -> None:
    emit(
        CustomerEvent(
            kind=kind,
            customer_id=complaint.customer_id,
            actor_id=actor.pk if actor else None,
            data={"complaint_id": complaint.pk},
        )
    )


@transaction.atomic
def complaint_create(*, actor: User, customer: Customer, data: Mapping[str, Any]) -> Complaint:
    """Log a complaint. ``data``: channel, category, severity, description, received_at
    and the ids order_id, product_id, handler_id, incident_id. The handler is the
    actor by default when the actor may handle it."""
    if not can_log_complaint(actor, customer):
        raise PermissionDenied
    values = _clean(data, (*COMPLAINT_FIELDS, *COMPLAINT_REFS, "received_at"))
    refs = {k: values.pop(k) for k in COMPLAINT_REFS if k in values}
    now = timezone.now()
    received_at = values.pop("received_at", None) or now
    business_moment_check(received_at, "received_at")
    if received_at > now + dt.timedelta(minutes=5):
        raise ValidationError({"received_at": _("接收时间不能晚于现在。")})
    complaint = Complaint(
        customer=customer, created_by=actor, updated_by=actor, received_at=received_at, **values
    )
    if "handler_id" not in refs and can_handle(actor, complaint):
        complaint.handler = actor
    _resolve_refs(complaint, refs)
    complaint.full_clean(
        exclude=[
            "customer",
            "order",
            "product",
            "handler",
            "incident",
            "created_by",
            "updated_by",
            "response_due_at",
            "resolution_due_at",
        ]
    )
    deadline = deadline_for(complaint.severity)
    complaint.response_due_at = received_at + deadline.response
    complaint.resolution_due_at = received_at + deadline.resolution
    _set_pending(complaint)
    complaint.save()
    _step(complaint, actor, StepKind.CREATED, to_status=Status.RECEIVED, note=complaint.summary)
    _emit("complaint_changed", complaint, actor)
    return complaint


def _fresh(complaint: Complaint, version: int) -> Complaint:
    fresh = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("customer", "handler")
        .get(pk=complaint.pk)
    )
    if fresh.version != version:
        raise ConflictError(
            _("该投诉已被他人修改，请刷新后再试。"), details={"current_version": fresh.version}
        )
    return fresh


def _save(fresh: Complaint, version: int, fields: list[str]) -> None:
    """Write ``fields`` if nobody saved since ``version`` (the row lock makes this hold;
    the condition keeps it true on databases without one)."""
    values = {name: getattr(fresh, name) for name in fields}
    done = Complaint.objects.filter(pk=fresh.pk, version=version).update(
        **values, version=F("version") + 1, updated_at=timezone.now()
    )
    if not done:
        raise ConflictError(_("该投诉已被他人修改，请刷新后再试。"))
    fresh.version = version + 1


@transaction.atomic
def complaint_update(
    *, actor: User, complaint: Complaint, version: int, data: Mapping[str, Any]
) -> Complaint:
    """Change fields (channel, category, severity, description, and the ids of order,
    product, handler, incident). A new severity moves the pending deadlines."""
    if not can_handle(actor, complaint):
        raise PermissionDenied
    values = _clean(data, (*COMPLAINT_FIELDS, *COMPLAINT_REFS))
    fresh = _fresh(complaint, version)
    before = {f: getattr(fresh, f) for f in (*COMPLAINT_FIELDS, *COMPLAINT_REFS)}
    refs = {k: values.pop(k) for k in COMPLAINT_REFS if k in values}
    for key, value in values.items():
        setattr(fresh, key, value)
    _resolve_refs(fresh, refs)
    fresh.full_clean(
        exclude=["customer", "order", "product", "handler", "incident", "created_by", "updated_by"]
    )
    changed = [f for f in before if getattr(fresh, f) != before[f]]
    if not changed:
        return fresh
    if "severity" in changed:
        deadline = deadline_for(fresh.severity)
        if fresh.responded_at is None:
            fresh.response_due_at = fresh.received_at + deadline.response
        if fresh.resolved_at is None and fresh.status != Status.CLOSED:
            fresh.resolution_due_at = fresh.received_at + deadline.resolution
        _set_pending(fresh)
    fresh.updated_by = actor
    fields = [
        *COMPLAINT_FIELDS,
        *COMPLAINT_REFS,
        "response_due_at",
        "resolution_due_at",
        "due_at",
        "due_kind",
        "updated_by",
    ]
    _save(fresh, version, fields)
    fields = [name.removesuffix("_id") for name in changed]
    _step(fresh, actor, StepKind.CHANGE, message=texts.CHANGED, params={"fields": fields})
    return fresh


def _text(value: str, field: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ValidationError({field: _("最多 %(n)d 个字符。") % {"n": limit}})
    return value


@transaction.atomic
def complaint_transition(
    *,
    actor: User,
    complaint: Complaint,
    version: int,
    to_status: str,
    note: str = "",
    feedback: str = "",
    customer_response: str = "",
    close_reason: str = "",
    now: dt.datetime | None = None,
) -> Complaint:
    """Move the complaint one step (see ``TRANSITIONS``), recorded as a step.

    To *feedback*: ``feedback`` (what the customer was told) is required. To *closed*:
    from *feedback* with the ``customer_response``, or from any open status with a
    ``close_reason``. From *closed* back to *handling* reopens it, with a new
    resolution deadline.
    """
    if not can_handle(actor, complaint):
        raise PermissionDenied
    if to_status not in Status.values:
        raise ValidationError({"status": _("未知状态。")})
    note = _text(note, "note", MAX_NOTE)
    feedback = _text(feedback, "feedback", 5000)
    customer_response = _text(customer_response, "customer_response", 5000)
    close_reason = _text(close_reason, "close_reason", 500)
    fresh = _fresh(complaint, version)
    source = fresh.status
    if to_status not in allowed_transitions(source):
        raise InvalidTransition(
            _("投诉当前为“%(from)s”，不能改为“%(to)s”。")
            % {"from": Status(source).label, "to": Status(to_status).label},
            details={"status": source, "allowed": list(allowed_transitions(source))},
        )
    now = now or timezone.now()
    # What the step says besides the note: the words people typed, each labelled when
    # shown (``texts.MOVED``).
    said: dict[str, str] = {}
    if to_status == Status.FEEDBACK:
        if not feedback:
            raise ValidationError({"feedback": _("请填写给客户的反馈内容。")})
        fresh.feedback = feedback
        fresh.customer_response = ""
        fresh.resolved_at = now
        said["feedback"] = feedback
    elif to_status == Status.CLOSED:
        if source == Status.FEEDBACK and customer_response:
            fresh.customer_response = customer_response
            said["customer_response"] = customer_response
        elif close_reason:
            fresh.customer_response = customer_response or fresh.customer_response
            said["close_reason"] = close_reason
        elif source == Status.FEEDBACK:
            raise ValidationError(
                {"customer_response": _("请填写客户对反馈的回应，或填写关闭原因。")}
            )
        else:
            raise ValidationError({"close_reason": _("尚未向客户反馈，关闭投诉须填写关闭原因。")})
        fresh.close_reason = close_reason
        fresh.closed_at = now
        fresh.resolved_at = fresh.resolved_at or now
    elif to_status == Status.HANDLING:
        if fresh.responded_at is None:
            fresh.responded_at = now
        if source in (Status.FEEDBACK, Status.CLOSED):
            fresh.resolved_at = None
            if source == Status.CLOSED:  # reopened: a fresh resolution deadline
                fresh.closed_at = None
                fresh.close_reason = ""
                fresh.resolution_due_at = now + deadline_for(fresh.severity).resolution
    fresh.status = to_status
    fresh.updated_by = actor
    _set_pending(fresh)
    _save(
        fresh,
        version,
        [
            "status",
            "feedback",
            "customer_response",
            "close_reason",
            "responded_at",
            "resolved_at",
            "closed_at",
            "resolution_due_at",
            "due_at",
            "due_kind",
            "updated_by",
        ],
    )
    _step(
        fresh,
        actor,
        StepKind.TRANSITION,
        from_status=source,
        to_status=to_status,
        note="" if said else note,
        at=now,
        message=texts.MOVED if said else "",
        params={**said, "note": note} if said else None,
    )
    _emit("complaint_changed", fresh, actor)
    if to_status == Status.CLOSED:
        _emit("complaint_closed", fresh, actor)
    return fresh


# --- incidents (危机) ------------------------------------------------------------------------

INCIDENT_FIELDS = ("title", "cause", "description")


@transaction.atomic
def incident_create(*, actor: User, data: Mapping[str, Any]) -> Incident:
    if not can_manage_incidents(actor):
        raise PermissionDenied
    incident = Incident(created_by=actor, updated_by=actor, **_clean(data, INCIDENT_FIELDS))
    incident.full_clean(exclude=["created_by", "updated_by"])
    incident.save()
    return incident


@transaction.atomic
def incident_change(
    *,
    actor: User,
    incident: Incident,
    version: int,
    data: Mapping[str, Any] | None = None,
    status: str | None = None,
) -> Incident:
    """Change an incident's text and/or move its status (open, monitoring, resolved)."""
    if not can_manage_incidents(actor):
        raise PermissionDenied
    fresh = Incident.objects.select_for_update().get(pk=incident.pk)
    if fresh.version != version:
        raise ConflictError(
            _("该危机事件已被他人修改，请刷新后再试。"), details={"current_version": fresh.version}
        )
    for key, value in _clean(data or {}, INCIDENT_FIELDS).items():
        setattr(fresh, key, value)
    if status is not None:
        if status not in IncidentStatus.values:
            raise ValidationError({"status": _("未知状态。")})
        if status != fresh.status:
            fresh.status = status
            fresh.resolved_at = timezone.now() if status == IncidentStatus.RESOLVED else None
    fresh.updated_by = actor
    fresh.full_clean(exclude=["created_by", "updated_by"])
    done = Incident.objects.filter(pk=fresh.pk, version=version).update(
        title=fresh.title,
        cause=fresh.cause,
        description=fresh.description,
        status=fresh.status,
        resolved_at=fresh.resolved_at,
        updated_by=actor,
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    if not done:
        raise ConflictError(_("该危机事件已被他人修改，请刷新后再试。"))
    fresh.refresh_from_db()
    return fresh


def incident_customer_ids(incident: Incident) -> list[int]:
    """The (live) customers with a complaint under the incident."""
    return sorted(
        set(
            Complaint.objects.filter(incident=incident, customer__deleted_at__isnull=True)
            .values_list("customer_id", flat=True)
            .distinct()
        )
    )


@transaction.atomic
def incident_update_send(
    *, actor: User, incident: Incident, channel: str, body: str, subject: str = ""
) -> IncidentUpdate:
    """Send one update to every affected customer (through kehu.messaging, on the job
    queue), and put it on each customer's timeline (one step on their latest
    complaint of the incident)."""
    if not can_manage_incidents(actor):
        raise PermissionDenied
    from kehu.messaging.services import message_to_customers

    update = IncidentUpdate(
        incident=incident,
        channel=channel,
        subject=_text(subject, "subject", 200),
        body=(body or "").strip(),
        created_by=actor,
    )
    update.full_clean(exclude=["incident", "created_by"])
    if channel == UpdateChannel.EMAIL and not update.subject:
        update.subject = incident.title[:200]
    customer_ids = incident_customer_ids(incident)
    if not customer_ids:
        raise ValidationError({"body": _("该危机事件还没有关联任何客户的投诉，无人可通知。")})
    update.customer_count = len(customer_ids)
    update.save()
    campaign = message_to_customers(
        actor=actor,
        customer_ids=customer_ids,
        channel=channel,
        body=update.body,
        subject=update.subject,
        name=_("危机通报：%(title)s") % {"title": incident.title},
        purpose="incident",
    )
    campaign_id = getattr(campaign, "pk", None)
    if isinstance(campaign_id, int):
        update.campaign_id = campaign_id
        update.save(update_fields=["campaign_id"])
    latest: dict[int, int] = {}
    for complaint_id, customer_id in (
        Complaint.objects.filter(incident=incident, customer_id__in=customer_ids)
        .order_by("received_at", "id")
        .values_list("id", "customer_id")
    ):
        latest[customer_id] = complaint_id
    params = {"channel": update.channel, "body": update.body}
    ComplaintStep.objects.bulk_create(
        ComplaintStep(
            complaint_id=complaint_id,
            kind=StepKind.INCIDENT_UPDATE,
            actor=actor,
            at=update.created_at,
            message=texts.INCIDENT,
            params=params,
        )
        for complaint_id in latest.values()
    )
    return update
