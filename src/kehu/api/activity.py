"""/api/v1: interactions, follow-up tasks and the customer timeline."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from kehu.accounts.models import User
from kehu.api.auth import actor_of
from kehu.api.customers import (
    MAX_PAGE,
    MAX_PAGE_SIZE,
    DbId,
    Storable,
    customer_or_404,
    version_from,
)
from kehu.api.errors import ApiError, error_responses
from kehu.core.dates import ApiDateTime
from kehu.customers.selectors import PageOutOfRange
from kehu.customers.timeline import Cursor, customer_timeline, timeline_kinds
from kehu.followups.models import Task, TaskKind, TaskStatus
from kehu.followups.selectors import tasks_visible_to
from kehu.followups.services import task_create, task_delete, task_finish, task_update
from kehu.interactions.models import Direction, InteractionKind
from kehu.interactions.services import interaction_log

router = Router(tags=["interactions, tasks and timeline"])

Text200 = Annotated[str, Field(max_length=200), Storable]
Text500 = Annotated[str, Field(max_length=500), Storable]
Text5000 = Annotated[str, Field(max_length=5000), Storable]


# --- interactions ------------------------------------------------------------------------


class InteractionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    customer_id: DbId
    kind: InteractionKind
    direction: Direction = Direction.OUTBOUND
    occurred_at: ApiDateTime | None = Field(None, description="ISO 8601; default now.")
    duration_minutes: Annotated[int, Field(ge=0, le=100_000)] | None = None
    outcome: Text200 = ""
    notes: Text5000 = ""
    next_step: Text500 = ""
    contact_id: DbId | None = None


class InteractionOut(Schema):
    id: int
    customer_id: int
    kind: str
    direction: str
    occurred_at: dt.datetime
    duration_minutes: int | None
    outcome: str
    notes: str
    next_step: str
    contact_id: int | None
    user_id: int | None


@router.post(
    "/interactions",
    response={201: InteractionOut, **error_responses(403, 404)},
    summary="Record an interaction (call, visit, WeChat...)",
)
def interactions_create(request: HttpRequest, payload: InteractionIn) -> Any:
    actor = actor_of(request)
    customer = customer_or_404(request, payload.customer_id)
    data = payload.model_dump(exclude={"customer_id", "contact_id"}, exclude_unset=True)
    if data.get("occurred_at") is None:
        data.pop("occurred_at", None)
    if data.get("occurred_at") is not None and data["occurred_at"].tzinfo is None:
        raise ValidationError({"occurred_at": _("请带上时区，例如 2026-11-29T10:00:00+08:00。")})
    interaction = interaction_log(
        actor=actor, customer=customer, data=data, contact_id=payload.contact_id
    )
    return Status(201, interaction)


# --- timeline ----------------------------------------------------------------------------


class TimelineEventOut(Schema):
    at: dt.datetime
    kind: str
    id: int
    title: str
    detail: str
    actor: str


class TimelineOut(Schema):
    items: list[TimelineEventOut]
    next: str | None = Field(description="Pass as ``before`` for the next (older) page.")


class TimelineQuery(Schema):
    kind: list[Annotated[str, Field(max_length=20)]] = Field(
        default_factory=list, description="Only these kinds (repeat the parameter)."
    )
    before: Annotated[str, Field(max_length=80)] = ""
    limit: Annotated[int, Field(ge=1, le=100)] = 20


@router.get(
    "/customers/{customer_id}/timeline",
    response={200: TimelineOut, **error_responses(404)},
    summary="A customer's timeline, newest first",
    description="Kinds: order, refund, interaction, task, owner, change.",
)
def customer_timeline_endpoint(
    request: HttpRequest, customer_id: int, query: Query[TimelineQuery]
) -> Any:
    customer = customer_or_404(request, customer_id)
    known = {k for k, _label in timeline_kinds()}
    unknown = [k for k in query.kind if k not in known]
    if unknown:
        raise ValidationError({"kind": _("未知类型：%(kinds)s") % {"kinds": ", ".join(unknown)}})
    cursor = Cursor.decode(query.before)
    if query.before and cursor is None:
        raise ValidationError({"before": _("无效的分页位置。")})
    page = customer_timeline(
        customer,
        viewer=actor_of(request),
        kinds=query.kind or None,
        cursor=cursor,
        limit=query.limit,
    )
    return {
        "items": [
            {
                "at": e.at,
                "kind": e.kind,
                "id": e.pk,
                "title": e.title,
                "detail": e.detail,
                "actor": e.actor,
            }
            for e in page.events
        ],
        "next": page.next_cursor.encode() if page.next_cursor else None,
    }


# --- tasks -------------------------------------------------------------------------------


class TaskOut(Schema):
    id: int
    customer_id: int
    assignee_id: int
    kind: str
    title: str = Field(description="In the request's language when Kehu worded the task.")
    notes: str
    due_at: dt.datetime
    status: str
    result: str
    done_at: dt.datetime | None
    version: int

    @staticmethod
    def resolve_title(task: Task) -> str:
        return task.title_text

    @staticmethod
    def resolve_notes(task: Task) -> str:
        return task.notes_text


class TaskIn(Schema):
    model_config = ConfigDict(extra="forbid")
    customer_id: DbId
    kind: TaskKind
    title: Text200 = ""
    notes: Text5000 = ""
    due_at: ApiDateTime
    assignee_id: DbId | None = Field(None, description="Default: yourself.")


class TaskPatchIn(Schema):
    model_config = ConfigDict(extra="forbid")
    kind: TaskKind | None = None
    title: Text200 | None = None
    notes: Text5000 | None = None
    due_at: ApiDateTime | None = None
    assignee_id: DbId | None = None
    version: DbId | None = None


class TaskFinishIn(Schema):
    model_config = ConfigDict(extra="forbid")
    status: Literal["done", "skipped"]
    result: Text5000 = ""


class TaskPageOut(Schema):
    items: list[TaskOut]
    count: int
    page: int
    page_size: int
    num_pages: int


class TaskQuery(Schema):
    status: TaskStatus | None = None
    customer: DbId | None = None
    assignee: DbId | None = None
    page: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 1
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 25


def _aware(value: dt.datetime | None, field: str) -> None:
    if value is not None and value.tzinfo is None:
        raise ValidationError({field: _("请带上时区，例如 2026-11-29T10:00:00+08:00。")})


def _assignee(actor: User, assignee_id: int | None) -> User | None:
    if assignee_id is None:
        return None
    user = User.objects.filter(pk=assignee_id).first()
    if user is None:
        raise ValidationError({"assignee_id": _("不能把任务分配给该用户。")})
    return user


@router.get("/tasks", response={200: TaskPageOut, **error_responses(404)}, summary="List tasks")
def tasks_list(request: HttpRequest, query: Query[TaskQuery]) -> Any:
    tasks = tasks_visible_to(actor_of(request))
    if query.status:
        tasks = tasks.filter(status=query.status)
    if query.customer:
        tasks = tasks.filter(customer_id=query.customer)
    if query.assignee:
        tasks = tasks.filter(assignee_id=query.assignee)
    count = tasks.count()
    num_pages = max(1, -(-count // query.page_size))
    if query.page > num_pages:
        raise PageOutOfRange
    start = (query.page - 1) * query.page_size
    return {
        "items": list(tasks.order_by("due_at", "id")[start : start + query.page_size]),
        "count": count,
        "page": query.page,
        "page_size": query.page_size,
        "num_pages": num_pages,
    }


@router.post("/tasks", response={201: TaskOut, **error_responses(403, 404)}, summary="Plan a task")
def tasks_create(request: HttpRequest, payload: TaskIn) -> Any:
    actor = actor_of(request)
    customer = customer_or_404(request, payload.customer_id)
    _aware(payload.due_at, "due_at")
    task = task_create(
        actor=actor,
        customer=customer,
        data=payload.model_dump(include={"kind", "title", "notes", "due_at"}),
        assignee=_assignee(actor, payload.assignee_id),
    )
    return Status(201, task)


def _task(request: HttpRequest, task_id: int) -> Task:
    if not 1 <= task_id <= 2**63 - 1:
        raise ApiError(404, "not_found", _("未找到。"))
    return get_object_or_404(
        tasks_visible_to(actor_of(request)).select_related("assignee"), pk=task_id
    )


@router.get(
    "/tasks/{task_id}", response={200: TaskOut, **error_responses(404)}, summary="Read a task"
)
def tasks_read(request: HttpRequest, response: HttpResponse, task_id: int) -> Any:
    task = _task(request, task_id)
    response["ETag"] = f'"{task.version}"'
    return task


@router.patch(
    "/tasks/{task_id}",
    response={200: TaskOut, **error_responses(403, 404, 409, 428)},
    summary="Change a task (send the version you read)",
)
def tasks_patch(
    request: HttpRequest,
    task_id: int,
    payload: TaskPatchIn,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Any:
    actor = actor_of(request)
    task = _task(request, task_id)
    version = version_from(payload.version, if_match, required=True)
    assert version is not None
    _aware(payload.due_at, "due_at")
    data = payload.model_dump(include={"kind", "title", "notes", "due_at"}, exclude_unset=True)
    data = {k: v for k, v in data.items() if v is not None}
    return task_update(
        actor=actor,
        task=task,
        version=version,
        data=data,
        assignee=_assignee(actor, payload.assignee_id),
    )


@router.post(
    "/tasks/{task_id}/finish",
    response={200: TaskOut, **error_responses(403, 404, 409)},
    summary="Mark a task done or skipped, with its result",
)
def tasks_finish(request: HttpRequest, task_id: int, payload: TaskFinishIn) -> Any:
    task = _task(request, task_id)
    return task_finish(
        actor=actor_of(request), task=task, status=payload.status, result=payload.result
    )


@router.delete(
    "/tasks/{task_id}",
    response={204: None, **error_responses(403, 404)},
    summary="Delete a task",
)
def tasks_delete(request: HttpRequest, task_id: int) -> Any:
    task_delete(actor=actor_of(request), task=_task(request, task_id))
    return Status(204, None)
