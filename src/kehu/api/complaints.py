"""/api/v1: complaints (投诉) — the same access helpers, selectors and services as the pages.

Errors: 422 ``invalid`` (field errors: an unknown severity or channel, closing
without the customer's response or a reason), 404 ``not_found``, 409 ``conflict``
(a stale ``version``) or ``invalid_transition`` (a move the workflow does not allow),
428 ``version_required``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema
from ninja.responses import Status as HttpStatus
from pydantic import ConfigDict
from pydantic.json_schema import SkipJsonSchema

from kehu.api.auth import actor_of
from kehu.api.customers import (
    MAX_PAGE,
    MAX_PAGE_SIZE,
    DbId,
    Storable,
    UserRef,
    customer_or_404,
    version_from,
)
from kehu.api.errors import error_responses
from kehu.complaints import models as m
from kehu.complaints.access import access_complaint
from kehu.complaints.models import Complaint
from kehu.complaints.selectors import complaint_escalations, complaint_steps, customer_complaints
from kehu.complaints.services import complaint_create, complaint_transition, complaint_update
from kehu.core.dates import ApiDateTime

router = Router(tags=["complaints"])

# Literals rather than the models' enums: other routers have enums named Channel and
# Status too, and OpenAPI components are named after the class.
Channel = Literal["phone", "wechat", "email", "store", "web_form", "other"]
Category = Literal["quality", "service", "delivery", "billing", "after_sales", "other"]
Severity = Literal["low", "medium", "high", "critical"]
Status = Literal["received", "recorded", "handling", "feedback", "closed"]
DeadlineKind = Literal["response", "resolution"]
StepKind = Literal["created", "transition", "change", "incident_update"]
for _literal, _choices in (
    (Channel, m.Channel),
    (Category, m.Category),
    (Severity, m.Severity),
    (Status, m.Status),
    (DeadlineKind, m.DeadlineKind),
    (StepKind, m.StepKind),
):
    assert set(_literal.__args__) == set(_choices.values)  # type: ignore[attr-defined]

Text500 = Annotated[str, Field(max_length=500), Storable]
Text2000 = Annotated[str, Field(max_length=2000), Storable]
Text5000 = Annotated[str, Field(max_length=5000), Storable]
Description = Annotated[str, Field(min_length=1, max_length=5000), Storable]


class ComplaintOut(Schema):
    id: int
    customer_id: int
    channel: Channel
    category: Category
    severity: Severity
    status: Status
    description: str
    order_id: int | None
    product_id: int | None
    incident_id: int | None
    handler: UserRef | None
    received_at: dt.datetime
    response_due_at: dt.datetime
    resolution_due_at: dt.datetime
    responded_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    due_kind: DeadlineKind | None = Field(description="The deadline pending now; null: none.")
    due_at: dt.datetime | None
    seconds_left: int | None = Field(description="Until ``due_at``; negative: overdue by.")
    overdue: bool
    feedback: str
    customer_response: str
    close_reason: str
    version: int = Field(description="Send it back with a change (optimistic locking).")
    created_at: dt.datetime
    updated_at: dt.datetime


class ComplaintStepOut(Schema):
    at: dt.datetime
    kind: StepKind
    from_status: Status | None
    to_status: Status | None
    note: str
    actor: UserRef | None


class ComplaintEscalationOut(Schema):
    deadline: DeadlineKind
    level: int = Field(description="1: the handler's manager; 2: the admins.")
    due_at: dt.datetime
    escalated_at: dt.datetime
    recipients: list[UserRef]


class ComplaintDetailOut(ComplaintOut):
    steps: list[ComplaintStepOut]
    escalations: list[ComplaintEscalationOut]


class ComplaintPageOut(Schema):
    items: list[ComplaintOut]
    count: int
    page: int
    page_size: int
    num_pages: int


class ComplaintIn(Schema):
    model_config = ConfigDict(extra="forbid")
    customer_id: DbId
    channel: Channel
    category: Category = "other"
    severity: Severity = "medium"
    description: Description
    received_at: ApiDateTime | None = Field(None, description="ISO 8601 with zone; default now.")
    order_id: DbId | None = None
    product_id: DbId | None = None
    handler_id: DbId | None = Field(None, description="Default: you, if you handle complaints.")
    incident_id: DbId | None = None


class ComplaintPatchIn(Schema):
    """Fields change first, then ``status`` moves the complaint, in one transaction."""

    model_config = ConfigDict(extra="forbid")
    version: DbId | SkipJsonSchema[None] = Field(None, description="The version you read.")
    status: Status | SkipJsonSchema[None] = Field(
        None,
        description=(
            "received→recorded→handling→feedback→closed; feedback→handling; "
            "closed→handling reopens; any open status→closed with close_reason."
        ),
    )
    note: Text2000 = ""
    feedback: Text5000 = Field("", description="Required to move to feedback.")
    customer_response: Text5000 = Field("", description="Closing from feedback needs it…")
    close_reason: Text500 = Field("", description="…or this reason.")
    channel: Channel | SkipJsonSchema[None] = None
    category: Category | SkipJsonSchema[None] = None
    severity: Severity | SkipJsonSchema[None] = None
    description: Description | SkipJsonSchema[None] = None
    order_id: DbId | None = Field(None, description="null clears it.")
    product_id: DbId | None = None
    handler_id: DbId | None = None
    incident_id: DbId | None = None


class CustomerComplaintsQuery(Schema):
    status: Status | SkipJsonSchema[None] = None
    page: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 1
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 25


def _user(user: Any) -> dict[str, Any] | None:
    return {"id": user.pk, "username": user.username, "name": user.label} if user else None


def complaint_out(complaint: Complaint, now: dt.datetime | None = None) -> dict[str, Any]:
    left = complaint.time_left(now or timezone.now())
    return {
        **{
            name: getattr(complaint, name)
            for name in (
                "customer_id",
                "channel",
                "category",
                "severity",
                "status",
                "description",
                "order_id",
                "product_id",
                "incident_id",
                "received_at",
                "response_due_at",
                "resolution_due_at",
                "responded_at",
                "resolved_at",
                "closed_at",
                "due_at",
                "feedback",
                "customer_response",
                "close_reason",
                "version",
                "created_at",
                "updated_at",
            )
        },
        "id": complaint.pk,
        "handler": _user(complaint.handler),
        "due_kind": complaint.due_kind or None,
        "seconds_left": int(left.total_seconds()) if left is not None else None,
        "overdue": left is not None and left.total_seconds() < 0,
    }


def _detail(response: HttpResponse, complaint: Complaint) -> dict[str, Any]:
    response["ETag"] = f'"{complaint.version}"'
    return {
        **complaint_out(complaint),
        "steps": [
            {
                "at": s.at,
                "kind": s.kind,
                "from_status": s.from_status or None,
                "to_status": s.to_status or None,
                "note": s.note_text,
                "actor": _user(s.actor),
            }
            for s in complaint_steps(complaint)
        ],
        "escalations": [
            {
                "deadline": e.deadline,
                "level": e.level,
                "due_at": e.due_at,
                "escalated_at": e.escalated_at,
                "recipients": [_user(u) for u in e.recipients.all()],
            }
            for e in complaint_escalations(complaint)
        ],
    }


def _aware(value: dt.datetime | None, field: str) -> None:
    if value is not None and value.tzinfo is None:
        raise ValidationError({field: _("请带上时区，例如 2026-11-29T10:00:00+08:00。")})


def _complaint(request: HttpRequest, complaint_id: int, *, write: bool = False) -> Complaint:
    return access_complaint(actor_of(request), complaint_id, write=write)


@router.post(
    "/complaints",
    response={201: ComplaintDetailOut, **error_responses(403, 404)},
    summary="Log a complaint",
)
def complaints_create(request: HttpRequest, response: HttpResponse, payload: ComplaintIn) -> Any:
    actor = actor_of(request)
    customer = customer_or_404(request, payload.customer_id)
    _aware(payload.received_at, "received_at")
    data = payload.model_dump(exclude={"customer_id"}, exclude_unset=True)
    if data.get("received_at") is None:
        data.pop("received_at", None)
    complaint = complaint_create(actor=actor, customer=customer, data=data)
    return HttpStatus(201, _detail(response, _complaint(request, complaint.pk)))


@router.get(
    "/complaints/{complaint_id}",
    response={200: ComplaintDetailOut, **error_responses(404)},
    summary="Read a complaint with its steps and escalations",
    description="The ``ETag`` header carries the version to send back with a change.",
)
def complaints_read(request: HttpRequest, response: HttpResponse, complaint_id: int) -> Any:
    return _detail(response, _complaint(request, complaint_id))


FIELDS = ("channel", "category", "severity", "description")
REFS = ("order_id", "product_id", "handler_id", "incident_id")


@router.patch(
    "/complaints/{complaint_id}",
    response={200: ComplaintDetailOut, **error_responses(403, 404, 409, 428, "invalid_transition")},
    summary="Change a complaint or move it (send the version you read)",
    description=(
        "409 ``conflict`` when someone saved it since ``version``; 409 "
        "``invalid_transition`` for a move the workflow does not allow; 422 ``invalid`` "
        "when a move lacks what it needs (feedback; the customer's response or a reason)."
    ),
)
def complaints_patch(
    request: HttpRequest,
    response: HttpResponse,
    complaint_id: int,
    payload: ComplaintPatchIn,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Any:
    actor = actor_of(request)
    complaint = _complaint(request, complaint_id, write=True)
    version = version_from(payload.version, if_match, required=True)
    assert version is not None
    sent = payload.model_dump(exclude_unset=True)
    data = {k: v for k, v in sent.items() if k in FIELDS and v is not None}
    data.update({k: v for k, v in sent.items() if k in REFS})
    with transaction.atomic():
        if data:
            complaint = complaint_update(
                actor=actor, complaint=complaint, version=version, data=data
            )
            version = complaint.version
        if payload.status is not None:
            complaint = complaint_transition(
                actor=actor,
                complaint=complaint,
                version=version,
                to_status=payload.status,
                note=payload.note,
                feedback=payload.feedback,
                customer_response=payload.customer_response,
                close_reason=payload.close_reason,
            )
        elif not data and sent.keys() - {"version"}:
            raise ValidationError({"status": _("请同时给出要改成的状态。")})
    return _detail(response, _complaint(request, complaint.pk))


@router.get(
    "/customers/{customer_id}/complaints",
    response={200: ComplaintPageOut, **error_responses(404)},
    summary="A customer's complaints, newest first",
    description="404 ``page_out_of_range`` for a page past the last one.",
)
def customer_complaints_list(
    request: HttpRequest, customer_id: int, query: Query[CustomerComplaintsQuery]
) -> Any:
    actor = actor_of(request)
    customer = customer_or_404(request, customer_id)
    page = customer_complaints(
        actor, customer, page=query.page, page_size=query.page_size, status=query.status or ""
    )
    now = timezone.now()
    return {
        "items": [complaint_out(c, now) for c in page.items],
        "count": page.count,
        "page": page.page,
        "page_size": page.page_size,
        "num_pages": page.num_pages,
    }
