"""/api/v1/playbooks — retention playbooks (挽留方案): list, create, read, change (with
the version read), start for given customers, and the report (save rate, money kept,
cost, and the uplift over the hold-out with its 95 % interval, or ``enough: false``
while the counts are too small). ``GET /api/v1/customers/{id}/retention``: a
customer's runs and their steps.

Playbooks and reports: admins, managers and analysts read them; admins and managers
change and start them (403 otherwise). A customer's runs follow the customer (404 for
one the caller may not see). Starting refuses, per customer, one that already has an
open run (``already_open``), one the caller may not change (``not_found``): nothing is
changed for them. Money is a decimal string; rates are 0–1.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Query, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from kehu.api.auth import actor_of
from kehu.api.customers import version_from
from kehu.api.errors import ApiError, error_responses
from kehu.customers.access import access_customer
from kehu.retention.access import access_playbook, access_playbooks
from kehu.retention.models import Playbook, StepKind, Trigger, step_result, step_state
from kehu.retention.report import GROUPS, Row, playbook_report
from kehu.retention.selectors import customer_runs, playbooks_list
from kehu.retention.services import playbook_create, playbook_start, playbook_update
from kehu.retention.starting import refusal_text

router = Router(tags=["retention"])

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
TriggerIn = Literal["churn_risk", "stage", "tier_drop", "segment", "manual"]
# A new step kind (``StepKind``) is added here too: the assertion says so at start-up.
StepKindIn = Literal["call", "message", "visit", "review", "task", "coupon"]
assert set(TriggerIn.__args__) == set(Trigger.values)  # type: ignore[attr-defined]
assert set(StepKindIn.__args__) == set(StepKind.values)  # type: ignore[attr-defined]


class StepIn(Schema):
    model_config = ConfigDict(extra="forbid")
    kind: StepKindIn
    title: Annotated[str, Field(max_length=200)] = ""
    template_id: Id | None = Field(None, description="The message template (kind message).")
    coupon_id: Id | None = Field(
        None, description="The coupon template given at the start (kind coupon)."
    )
    due_days: Annotated[int, Field(ge=0, le=365)] = 3
    owner_rule: Literal["owner", "manager", "user"] = "owner"
    owner_id: Id | None = Field(None, description="The named user (owner_rule user).")


class StepOut(StepIn):
    order: int


class PlaybookIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=100)]
    description: Annotated[str, Field(max_length=2000)] = ""
    trigger: TriggerIn = "manual"
    risk_threshold: Annotated[float, Field(ge=0, le=1)] | None = None
    stage_id: Id | None = None
    include_initial: bool = False
    tier_drop: Annotated[int, Field(ge=1, le=4)] = 1
    segment_id: Id | None = Field(None, description="Trigger segment, or the audience.")
    audience_rule: dict[str, Any] | None = Field(None, description="A segment rule.")
    saved_stage_ids: list[Id] | None = Field(
        None, description="A rule into one of these stages counts as saved (default 发展)."
    )
    window_days: Annotated[int, Field(ge=1, le=730)] = 60
    holdout_percent: Annotated[int, Field(ge=0, le=50)] = 10
    cost_per_run: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)] = Decimal(0)
    is_active: bool = True
    steps: list[StepIn] = Field(min_length=1, max_length=20)


class PlaybookPatchIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    description: Annotated[str, Field(max_length=2000)] | None = None
    trigger: TriggerIn | None = None
    risk_threshold: Annotated[float, Field(ge=0, le=1)] | None = None
    stage_id: Id | None = None
    include_initial: bool | None = None
    tier_drop: Annotated[int, Field(ge=1, le=4)] | None = None
    segment_id: Id | None = None
    window_days: Annotated[int, Field(ge=1, le=730)] | None = None
    holdout_percent: Annotated[int, Field(ge=0, le=50)] | None = None
    cost_per_run: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)] | None = None
    is_active: bool | None = None
    steps: list[StepIn] | None = Field(None, min_length=1, max_length=20)
    version: int | None = Field(None, description="The version read (or If-Match).")


class PlaybookOut(Schema):
    id: int
    name: str
    description: str
    trigger: str
    risk_threshold: float | None
    stage_id: int | None
    include_initial: bool
    tier_drop: int
    segment_id: int | None
    audience_rule: dict[str, Any] | None
    saved_stage_ids: list[int]
    window_days: int
    holdout_percent: int
    cost_per_run: Decimal
    is_active: bool
    steps: list[StepOut]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class StartIn(Schema):
    model_config = ConfigDict(extra="forbid")
    customer_ids: list[Id] = Field(min_length=1, max_length=1000)


class RefusedOut(Schema):
    customer_id: int
    code: str = Field(description="already_open, not_found, audience or inactive")
    message: str


class StartOut(Schema):
    started: list[int]
    held_out: list[int] = Field(description="Of those started, held out (no steps).")
    refused: list[RefusedOut]


class UpliftOut(Schema):
    enough: bool = Field(description="false: too few ended runs in a group (数据不足).")
    treated: int
    treated_saved: int
    held_out: int
    held_out_saved: int
    treated_rate: float | None
    held_out_rate: float | None
    difference: float | None = Field(description="treated − held-out save rate")
    low: float | None = Field(description="95 % interval (Newcombe hybrid score)")
    high: float | None


class RowOut(Schema):
    key: str | None
    label: str
    runs: int
    open: int
    saved: int
    lost: int
    stopped: int
    held_out: int
    save_rate: float | None
    held_out_rate: float | None
    value_before: Decimal
    money_kept: Decimal
    cost: Decimal
    cost_per_saved: Decimal | None
    uplift: UpliftOut


class ReportOut(Schema):
    playbook_id: int
    by: str
    summary: RowOut
    rows: list[RowOut]


class ReportQuery(Schema):
    by: Literal["playbook", "owner", "team", "stage", "reason"] = "owner"


class RunStepOut(Schema):
    order: int
    kind: str
    due_at: dt.datetime
    owner_id: int | None
    task_id: int | None
    state: str = Field(description="open, done or skipped")
    done_at: dt.datetime | None
    result: str


class RunOut(Schema):
    id: int
    playbook_id: int
    playbook: str
    held_out: bool
    trigger: str
    started_at: dt.datetime
    window_ends_at: dt.datetime
    outcome: str = Field(description="open, saved, lost or stopped")
    end_reason: str
    stop_note: str
    ended_at: dt.datetime | None
    value_before: Decimal
    value_after: Decimal | None
    steps: list[RunStepOut]


def _out(playbook: Playbook) -> dict[str, Any]:
    return {
        **{
            name: getattr(playbook, name)
            for name in PlaybookOut.model_fields
            if name not in ("steps",) and hasattr(playbook, name)
        },
        "steps": [
            {
                "order": s.order,
                "kind": s.kind,
                "title": s.title,
                "template_id": s.template_id,
                "coupon_id": s.coupon_id,
                "due_days": s.due_days,
                "owner_rule": s.owner_rule,
                "owner_id": s.owner_id,
            }
            for s in sorted(playbook.steps.all(), key=lambda s: (s.order, s.pk))
        ],
    }


def _row(row: Row) -> dict[str, Any]:
    u = row.uplift
    return {
        "key": None if row.key is None else str(row.key),
        "label": row.label,
        "runs": row.runs,
        "open": row.open,
        "saved": row.saved,
        "lost": row.lost,
        "stopped": row.stopped,
        "held_out": row.held_out,
        "save_rate": row.save_rate,
        "held_out_rate": row.held_out_rate,
        "value_before": row.value_before,
        "money_kept": row.money_kept,
        "cost": row.cost,
        "cost_per_saved": row.cost_per_saved,
        "uplift": {
            "enough": u.enough,
            "treated": u.treated,
            "treated_saved": u.treated_saved,
            "held_out": u.held_out,
            "held_out_saved": u.held_out_saved,
            "treated_rate": u.treated_rate,
            "held_out_rate": u.held_out_rate,
            "difference": u.difference,
            "low": u.low,
            "high": u.high,
        },
    }


@router.get("/playbooks", response={200: list[PlaybookOut], **error_responses(403)})
def playbooks_index(request: HttpRequest) -> Any:
    access_playbooks(actor_of(request))
    return [_out(p) for p in playbooks_list().prefetch_related("steps")]


@router.post(
    "/playbooks", response={201: PlaybookOut, **error_responses(403)}, summary="Create a playbook"
)
def playbooks_create(request: HttpRequest, response: HttpResponse, payload: PlaybookIn) -> Any:
    actor = actor_of(request)
    data = payload.model_dump(exclude={"steps"})
    if data.get("saved_stage_ids") is None:
        data.pop("saved_stage_ids")
    steps = [s.model_dump() for s in payload.steps]
    playbook = playbook_create(actor=actor, data=data, steps=steps)
    response["Location"] = f"/api/v1/playbooks/{playbook.pk}"
    response["ETag"] = f'"{playbook.version}"'
    return Status(201, _out(playbook))


@router.get("/playbooks/{playbook_id}", response={200: PlaybookOut, **error_responses(403, 404)})
def playbooks_read(request: HttpRequest, response: HttpResponse, playbook_id: int) -> Any:
    playbook = access_playbook(actor_of(request), playbook_id)
    response["ETag"] = f'"{playbook.version}"'
    return _out(playbook)


@router.patch(
    "/playbooks/{playbook_id}",
    response={200: PlaybookOut, **error_responses(403, 404, 409, 428)},
    summary="Change a playbook",
    description="Partial; ``steps``, when sent, replace the steps. Send the version read.",
)
def playbooks_patch(
    request: HttpRequest,
    response: HttpResponse,
    playbook_id: int,
    payload: PlaybookPatchIn,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Any:
    actor = actor_of(request)
    playbook = access_playbook(actor, playbook_id, write=True)
    version = version_from(payload.version, if_match, required=True)
    data = {
        key: getattr(payload, key)
        for key in payload.model_fields_set
        if key not in ("version", "steps")
    }
    steps = [s.model_dump() for s in payload.steps] if payload.steps is not None else None
    updated = playbook_update(
        actor=actor, playbook=playbook, version=version or 0, data=data, steps=steps
    )
    response["ETag"] = f'"{updated.version}"'
    return _out(updated)


@router.post(
    "/playbooks/{playbook_id}/start",
    response={200: StartOut, **error_responses(403, 404)},
    summary="Start a playbook for customers",
)
def playbooks_start(request: HttpRequest, playbook_id: int, payload: StartIn) -> Any:
    actor = actor_of(request)
    playbook = access_playbook(actor, playbook_id, write=True)
    try:
        result = playbook_start(actor=actor, playbook=playbook, customer_ids=payload.customer_ids)
    except ValidationError as error:
        raise ApiError(422, "invalid", "；".join(error.messages)) from None
    return {
        "started": result.started,
        "held_out": result.held_out,
        "refused": [
            {"customer_id": pk, "code": code, "message": refusal_text(code)}
            for pk, code in sorted(result.refused.items())
        ],
    }


@router.get(
    "/playbooks/{playbook_id}/report",
    response={200: ReportOut, **error_responses(403, 404)},
    summary="Save rate, money kept, cost and uplift",
)
def playbooks_report(request: HttpRequest, playbook_id: int, query: Query[ReportQuery]) -> Any:
    playbook = access_playbook(actor_of(request), playbook_id)
    report = playbook_report(by=query.by if query.by in GROUPS else "owner", playbook=playbook)
    return {
        "playbook_id": playbook.pk,
        "by": report.by,
        "summary": _row(report.total),
        "rows": [_row(row) for row in report.rows],
    }


@router.get(
    "/customers/{customer_id}/retention",
    response={200: list[RunOut], **error_responses(404)},
    summary="A customer's retention runs and their steps",
)
def customer_retention(request: HttpRequest, customer_id: int) -> Any:
    customer = access_customer(actor_of(request), customer_id)
    return [
        {
            "id": run.pk,
            "playbook_id": run.playbook_id,
            "playbook": run.playbook.name,
            "held_out": run.held_out,
            "trigger": run.trigger,
            "started_at": run.started_at,
            "window_ends_at": run.window_ends_at,
            "outcome": run.outcome,
            "end_reason": run.end_reason,
            "stop_note": run.stop_note,
            "ended_at": run.ended_at,
            "value_before": run.value_before,
            "value_after": run.value_after,
            "steps": [
                {
                    "order": s.order,
                    "kind": s.kind,
                    "due_at": s.due_at,
                    "owner_id": s.owner_id,
                    "task_id": s.task_id,
                    "state": step_state(s),
                    "done_at": s.done_at,
                    "result": step_result(s),
                }
                for s in run.steps.all()
            ],
        }
        for run in customer_runs(customer, limit=50)
    ]
