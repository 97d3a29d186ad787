"""/api/v1: lifecycle models, a customer's stages and history, manual moves."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from kehu.api.auth import actor_of
from kehu.api.customers import MAX_ID, Storable, customer_or_404
from kehu.api.errors import ApiError, error_responses, slug_or_404
from kehu.jobs.models import JobRun
from kehu.lifecycle.admin_selectors import access_models_admin
from kehu.lifecycle.apply import apply_run_of, lifecycle_apply_request
from kehu.lifecycle.models import LifecycleModel, StageChange
from kehu.lifecycle.selectors import customer_lifecycle, models_with_stages
from kehu.lifecycle.services import model_create, model_find, stage_find, stage_move

router = Router(tags=["lifecycle"])


class StageOut(Schema):
    key: str
    name: str
    color: str
    description: str
    position: int
    kind: str


class RuleOut(Schema):
    id: int
    name: str
    from_stages: list[str]
    to_stage: str
    condition: dict[str, Any]
    priority: int
    is_active: bool


class ModelOut(Schema):
    key: str
    name: str
    description: str
    is_active: bool
    is_default: bool
    stages: list[StageOut]
    rules: list[RuleOut]


def _model_out(model: LifecycleModel) -> dict[str, Any]:
    """A model with its stages and rules (prefetched: ``models_with_stages``)."""
    stages = sorted(model.stages.all(), key=lambda s: (s.position, s.pk))
    keys = {stage.pk: stage.key for stage in stages}
    return {
        "key": model.key,
        "name": model.name,
        "description": model.description,
        "is_active": model.is_active,
        "is_default": model.is_default,
        "stages": stages,
        "rules": [
            {
                "id": rule.pk,
                "name": rule.name,
                "from_stages": rule.from_stages,
                "to_stage": keys.get(rule.to_stage_id, ""),
                "condition": rule.condition,
                "priority": rule.priority,
                "is_active": rule.is_active,
            }
            for rule in sorted(model.rules.all(), key=lambda r: (r.priority, r.pk))
        ],
    }


@router.get("/lifecycle/models", response={200: list[ModelOut]}, summary="Lifecycle models")
def lifecycle_models(request: HttpRequest) -> Any:
    actor_of(request)
    return [_model_out(model) for model in models_with_stages()]


class ModelIn(Schema):
    model_config = ConfigDict(extra="forbid")
    key: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[-a-zA-Z0-9_]+$")]
    name: Annotated[str, Field(min_length=1, max_length=100), Storable]
    description: Annotated[str, Field(max_length=2000), Storable] = ""
    copy_from: Annotated[str, Field(max_length=40)] | None = Field(
        None, description="Another model's key: its stages and rules are copied."
    )


@router.post(
    "/lifecycle/models",
    response={201: ModelOut, **error_responses(403, "unknown_model")},
    summary="Create a lifecycle model (admins), empty or a copy of another",
    description=(
        "The new model is switched off: nobody is placed in it until an admin switches it "
        "on. A key already taken: 422 ``invalid``; an unknown ``copy_from``: 422 "
        "``unknown_model``."
    ),
)
def lifecycle_model_create(request: HttpRequest, payload: ModelIn) -> Any:
    actor = actor_of(request)
    access_models_admin(actor)
    source = model_find(payload.copy_from) if payload.copy_from else None
    model = model_create(
        actor=actor,
        key=payload.key,
        name=payload.name,
        description=payload.description,
        copy_from=source,
    )
    created = LifecycleModel.objects.prefetch_related("stages", "rules").get(pk=model.pk)
    return Status(201, _model_out(created))


class ApplyRunOut(Schema):
    id: int
    model: str
    status: str = Field(description="queued, running, ok, error or interrupted")
    done: int = Field(description="Customers evaluated so far.")
    total: int | None = Field(description="Customers to evaluate (null until it starts).")
    started_at: dt.datetime
    finished_at: dt.datetime | None
    result: dict[str, Any] | None = Field(description="When ok: customers, changes.")
    joined: bool = Field(False, description="true: an apply was already queued or running.")


def _apply_out(model: LifecycleModel, run: JobRun, *, joined: bool = False) -> dict[str, Any]:
    return {
        "id": run.pk,
        "model": model.key,
        "status": run.status,
        "done": run.progress_done,
        "total": run.progress_total,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "result": run.result if isinstance(run.result, dict) else None,
        "joined": joined,
    }


def _admin_model(request: HttpRequest, key: str) -> tuple[Any, LifecycleModel]:
    actor = actor_of(request)
    access_models_admin(actor)
    model = LifecycleModel.objects.filter(key=slug_or_404(key)).first()
    if model is None:
        raise ApiError(404, "not_found", _("未找到。"))
    return actor, model


@router.post(
    "/lifecycle/models/{key}/apply",
    response={202: ApplyRunOut, **error_responses(403, 404, "model_inactive")},
    summary="Apply a model's rules to every customer now (admins), on the job queue",
    description=(
        "Otherwise the daily job applies them at 05:00. One apply per model at a time: "
        "while one is queued or running the answer is that run (``joined``: true). Poll "
        "``GET .../apply/{run_id}`` for its progress. A model that is off: 409 "
        "``model_inactive``."
    ),
)
def lifecycle_model_apply(request: HttpRequest, key: str) -> Any:
    actor, model = _admin_model(request, key)
    run, created = lifecycle_apply_request(actor=actor, model=model)
    return Status(202, _apply_out(model, run, joined=not created))


@router.get(
    "/lifecycle/models/{key}/apply/{run_id}",
    response={200: ApplyRunOut, **error_responses(403, 404)},
    summary="The progress of applying a model's rules (admins)",
)
def lifecycle_model_apply_read(request: HttpRequest, key: str, run_id: int) -> Any:
    _actor, model = _admin_model(request, key)
    if not 1 <= run_id <= MAX_ID:
        raise ApiError(404, "not_found", _("未找到。"))
    return _apply_out(model, apply_run_of(model, run_id))


class StageRef(Schema):
    key: str
    name: str
    color: str


class ChangeOut(Schema):
    id: int
    at: dt.datetime
    kind: str
    from_stage: StageRef | None
    to_stage: StageRef
    rule: str | None
    actor: str | None
    reason: str = Field(
        description="Why: a manual move's reason as typed; a rule's, in the request's language."
    )
    facts: dict[str, Any]


class CurrentOut(Schema):
    model: str
    model_name: str
    stage: StageRef | None
    since: dt.datetime | None
    history: list[ChangeOut]


def _stage(stage: Any) -> dict[str, str] | None:
    return {"key": stage.key, "name": stage.name, "color": stage.color} if stage else None


def _change(change: StageChange) -> dict[str, Any]:
    return {
        "id": change.pk,
        "at": change.at,
        "kind": change.kind,
        "from_stage": _stage(change.from_stage),
        "to_stage": _stage(change.to_stage),
        "rule": change.rule.name if change.rule else None,
        "actor": change.actor.label if change.actor else None,
        "reason": change.reason_text,
        "facts": change.facts or {},
    }


@router.get(
    "/customers/{customer_id}/lifecycle",
    response={200: list[CurrentOut], **error_responses(404)},
    summary="A customer's stage in each lifecycle model, with the history and reasons",
)
def customer_lifecycle_read(request: HttpRequest, customer_id: int) -> Any:
    customer = customer_or_404(request, customer_id)
    return [
        {
            "model": view.model.key,
            "model_name": view.model.name,
            "stage": _stage(view.current.stage) if view.current else None,
            "since": view.current.since if view.current else None,
            "history": [_change(change) for change in view.history],
        }
        for view in customer_lifecycle(customer)
    ]


class MoveIn(Schema):
    model_config = ConfigDict(extra="forbid")
    model: Annotated[str, Field(min_length=1, max_length=40), Storable]
    stage: Annotated[str, Field(min_length=1, max_length=50), Storable]
    reason: Annotated[str, Field(max_length=500), Storable]


@router.post(
    "/customers/{customer_id}/lifecycle/move",
    response={201: ChangeOut, **error_responses(403, 404, "unknown_model", "unknown_stage")},
    summary="Move a customer to a stage by hand (a reason is required)",
    description=(
        "``stage`` is the stage's key or name. Unknown model: 422 ``unknown_model``; "
        "unknown stage: 422 ``unknown_stage``; no reason: 422 ``invalid``."
    ),
)
def customer_lifecycle_move(request: HttpRequest, customer_id: int, payload: MoveIn) -> Any:
    actor = actor_of(request)
    customer = customer_or_404(request, customer_id, write=True)
    model = model_find(payload.model)
    stage = stage_find(model, payload.stage)
    change = stage_move(
        actor=actor, customer=customer, model=model, stage=stage, reason=payload.reason
    )
    change = StageChange.objects.select_related("from_stage", "to_stage", "actor", "rule").get(
        pk=change.pk
    )
    return Status(201, _change(change))
