"""/api/v1/opportunities (商机) and /api/v1/analytics/forecast — the same access helpers,
selectors and services as the pipeline pages.

Errors: 422 ``invalid`` (field errors: an unknown phase or product, winning without
products or amount, losing without a reason), 404 ``not_found``, 403 ``forbidden`` (a
visible opportunity the caller may not change), 409 ``conflict`` (a stale ``version``)
or ``closed`` (won or lost already), 428 ``version_required`` (a change without it).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema
from ninja.responses import Status as HttpStatus
from pydantic import ConfigDict
from pydantic.json_schema import SkipJsonSchema

from kehu.accounts.models import User
from kehu.api.auth import actor_of
from kehu.api.customers import (
    MAX_PAGE,
    DbId,
    Storable,
    TeamRef,
    UserRef,
    customer_or_404,
    version_from,
)
from kehu.api.errors import error_responses
from kehu.core.dates import ApiDate, ApiDateTime
from kehu.customers.selectors import PageOutOfRange
from kehu.orders.models import PaymentStatus
from kehu.pipeline.access import access_opportunity
from kehu.pipeline.forecast import Bucket, forecast
from kehu.pipeline.models import LossReason, Opportunity, Phase
from kehu.pipeline.selectors import ListFilters, Scope, opportunity_history, opportunity_list
from kehu.pipeline.services import (
    LineInput,
    opportunity_create,
    opportunity_lose,
    opportunity_move,
    opportunity_update,
    opportunity_win,
)

router = Router(tags=["opportunities"])

OpportunityStatus = Literal["open", "won", "lost"]
PhaseKey = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[-a-zA-Z0-9_]+$")]
Text200 = Annotated[str, Field(min_length=1, max_length=200), Storable]
Text500 = Annotated[str, Field(max_length=500), Storable]
Text5000 = Annotated[str, Field(max_length=5000), Storable]
Amount = Annotated[
    Decimal, Field(description='A decimal string such as "12.50" (exact), or a number.')
]
Probability = Annotated[int, Field(ge=0, le=100, description="In %; null: the phase's default.")]


class PhaseOut(Schema):
    key: str
    name: str
    position: int
    probability: int = Field(description="The default probability (%) of the phase.")


class LossReasonOut(Schema):
    id: int
    name: str


class LineOut(Schema):
    product_id: int
    product_name: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


class PhaseChangeOut(Schema):
    at: dt.datetime
    from_phase: str | None
    to_phase: str | None
    from_status: OpportunityStatus | None
    to_status: OpportunityStatus
    seconds_in_phase: int | None = Field(description="Time spent in ``from_phase``.")
    note: str
    actor: UserRef | None


class OpportunityOut(Schema):
    id: int
    customer_id: int
    name: str
    amount: Decimal | None
    phase: str = Field(description="The phase's key (the last one, once won or lost).")
    status: OpportunityStatus
    probability: int = Field(description="In %: set, or the phase's; won 100, lost 0.")
    probability_is_default: bool
    weighted_amount: Decimal | None
    expected_close_date: dt.date | None
    competitors: str
    next_step: str
    notes: str
    owner: UserRef | None
    team: TeamRef | None
    stale: bool = Field(description="Open and without activity for the stale period.")
    last_activity_at: dt.datetime
    phase_entered_at: dt.datetime
    closed_at: dt.datetime | None
    loss_reason: LossReasonOut | None
    loss_note: str
    order_id: int | None = Field(description="The order recorded when it was won.")
    version: int = Field(description="Send it back with a change (optimistic locking).")
    created_at: dt.datetime
    updated_at: dt.datetime


class OpportunityDetailOut(OpportunityOut):
    lines: list[LineOut]
    history: list[PhaseChangeOut]


class OpportunityPageOut(Schema):
    items: list[OpportunityOut]
    count: int
    page: int
    page_size: int
    num_pages: int


class LineIn(Schema):
    model_config = ConfigDict(extra="forbid")
    product_id: DbId
    quantity: Amount = Decimal(1)
    unit_price: Amount | None = Field(None, description="Default: the product's price.")


class OpportunityFields(Schema):
    model_config = ConfigDict(extra="forbid")
    amount: Amount | None = Field(None, description="Default: the lines' total.")
    probability: Probability | None = None
    expected_close_date: ApiDate | None = None
    competitors: Text500 = ""
    next_step: Text500 = ""
    notes: Text5000 = ""
    owner_id: DbId | SkipJsonSchema[None] = Field(
        None, description="Default: the customer's owner, if yours to assign, else you."
    )
    lines: list[LineIn] | SkipJsonSchema[None] = Field(None, max_length=200)


class OpportunityIn(OpportunityFields):
    customer_id: DbId
    name: Text200
    phase: PhaseKey | SkipJsonSchema[None] = Field(None, description="Default: the first.")


class OpportunityPatchIn(OpportunityFields):
    """Only the fields sent change; ``lines`` replaces every line."""

    version: DbId | SkipJsonSchema[None] = Field(None, description="The version you read.")
    name: Text200 | SkipJsonSchema[None] = None


class PhaseIn(Schema):
    model_config = ConfigDict(extra="forbid")
    phase: PhaseKey
    version: DbId | SkipJsonSchema[None] = Field(None, description="Refused if changed since.")
    note: Text500 = ""


class WonIn(Schema):
    model_config = ConfigDict(extra="forbid")
    version: DbId | SkipJsonSchema[None] = None
    payment_status: Literal["paid", "partial", "unpaid"] = "paid"
    ordered_at: ApiDateTime | SkipJsonSchema[None] = Field(None, description="Default: now.")


class LostIn(Schema):
    model_config = ConfigDict(extra="forbid")
    version: DbId | SkipJsonSchema[None] = None
    reason_id: DbId = Field(description="A loss reason (GET /pipeline/loss-reasons).")
    note: Text500 = ""


class OpportunityQuery(Schema):
    status: OpportunityStatus | Literal["all"] = "open"
    phase: PhaseKey | SkipJsonSchema[None] = None
    owner: DbId | SkipJsonSchema[None] = Field(None, description="An owner's user id.")
    team: DbId | SkipJsonSchema[None] = None
    customer_id: DbId | SkipJsonSchema[None] = None
    page: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 1


class ForecastBucketOut(Schema):
    key: str = Field(description="The month (YYYY-MM; empty: no date), user or team id.")
    label: str
    count: int
    amount: Decimal
    weighted: Decimal = Field(description="Σ amount × probability.")


class ForecastOut(Schema):
    months: list[ForecastBucketOut]
    owners: list[ForecastBucketOut]
    teams: list[ForecastBucketOut]
    total: ForecastBucketOut


class ForecastQuery(Schema):
    owner: DbId | SkipJsonSchema[None] = None
    team: DbId | SkipJsonSchema[None] = None
    start: ApiDate | SkipJsonSchema[None] = Field(None, description="Expected close from.")
    end: ApiDate | SkipJsonSchema[None] = Field(None, description="… to (inclusive).")


def _user(user: Any) -> dict[str, Any] | None:
    return {"id": user.pk, "username": user.username, "name": user.label} if user else None


def opportunity_out(o: Opportunity) -> dict[str, Any]:
    return {
        **{
            name: getattr(o, name)
            for name in (
                "customer_id",
                "name",
                "amount",
                "status",
                "expected_close_date",
                "competitors",
                "next_step",
                "notes",
                "last_activity_at",
                "phase_entered_at",
                "closed_at",
                "loss_note",
                "order_id",
                "version",
                "created_at",
                "updated_at",
                "weighted_amount",
            )
        },
        "id": o.pk,
        "phase": o.phase.key,
        "probability": o.effective_probability,
        "probability_is_default": o.is_open and o.probability is None,
        "owner": _user(o.owner),
        "team": {"id": o.team.pk, "name": o.team.name} if o.team else None,
        "stale": o.is_stale(),
        "loss_reason": {"id": o.loss_reason.pk, "name": o.loss_reason.label}
        if o.loss_reason
        else None,
    }


def _detail(response: HttpResponse, o: Opportunity) -> dict[str, Any]:
    response["ETag"] = f'"{o.version}"'
    return {
        **opportunity_out(o),
        "lines": [
            {
                "product_id": line.product_id,
                "product_name": line.product.name,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "amount": line.amount,
            }
            for line in o.lines.select_related("product")
        ],
        "history": [
            {
                "at": c.at,
                "from_phase": c.from_phase.key if c.from_phase else None,
                "to_phase": c.to_phase.key if c.to_phase else None,
                "from_status": c.from_status or None,
                "to_status": c.to_status,
                "seconds_in_phase": c.seconds_in_phase,
                "note": c.note,
                "actor": _user(c.actor),
            }
            for c in opportunity_history(o)
        ],
    }


def _opportunity(request: HttpRequest, opportunity_id: int, *, write: bool = False) -> Opportunity:
    return access_opportunity(actor_of(request), opportunity_id, write=write)


def _phase(key: str, field: str = "phase") -> Phase:
    phase = Phase.objects.filter(key=key).first()
    if phase is None:
        raise ValidationError({field: _("没有这个销售阶段。")})
    return phase


def _owner(actor: User, owner_id: int | None) -> User | None:
    if owner_id is None:
        return None
    owner = User.objects.filter(pk=owner_id).first()
    if owner is None:
        raise ValidationError({"owner_id": _("不能把商机分配给该用户。")})
    return owner


def _lines(lines: list[LineIn] | None) -> list[LineInput] | None:
    if lines is None:
        return None
    return [LineInput(line.product_id, line.quantity, line.unit_price) for line in lines]


@router.get(
    "/pipeline/phases",
    response={200: list[PhaseOut]},
    summary="The phases of the sales pipeline, in order",
)
def phases_list(request: HttpRequest) -> Any:
    actor_of(request)
    return [
        {"key": p.key, "name": p.label, "position": p.position, "probability": p.probability}
        for p in Phase.objects.filter(is_active=True).order_by("position", "id")
    ]


@router.get(
    "/pipeline/loss-reasons",
    response={200: list[LossReasonOut]},
    summary="The reasons an opportunity can be lost for",
)
def loss_reasons_list(request: HttpRequest) -> Any:
    actor_of(request)
    return [
        {"id": r.pk, "name": r.label}
        for r in LossReason.objects.filter(is_active=True).order_by("position", "id")
    ]


@router.post(
    "/opportunities",
    response={201: OpportunityDetailOut, **error_responses(403, 404)},
    summary="Open an opportunity for a customer",
)
def opportunities_create(
    request: HttpRequest, response: HttpResponse, payload: OpportunityIn
) -> Any:
    actor = actor_of(request)
    customer = customer_or_404(request, payload.customer_id)
    opportunity = opportunity_create(
        actor=actor,
        customer=customer,
        name=payload.name,
        amount=payload.amount,
        phase=_phase(payload.phase) if payload.phase else None,
        probability=payload.probability,
        expected_close_date=payload.expected_close_date,
        competitors=payload.competitors,
        next_step=payload.next_step,
        notes=payload.notes,
        owner=_owner(actor, payload.owner_id),
        lines=_lines(payload.lines) or (),
    )
    response["Location"] = f"{request.path.rstrip('/')}/{opportunity.pk}"
    return HttpStatus(201, _detail(response, _opportunity(request, opportunity.pk)))


@router.get(
    "/opportunities",
    response={200: OpportunityPageOut, **error_responses(404)},
    summary="List opportunities (open ones by default), newest first",
    description="404 ``page_out_of_range`` for a page past the last one.",
)
def opportunities_list(request: HttpRequest, query: Query[OpportunityQuery]) -> Any:
    actor = actor_of(request)
    phase = Phase.objects.filter(key=query.phase).first() if query.phase else None
    if query.phase and phase is None:
        raise ValidationError({"phase": _("没有这个销售阶段。")})
    filters = ListFilters(
        scope=Scope(owner_id=query.owner, team_id=query.team),
        status="" if query.status == "all" else query.status,
        phase_id=phase.pk if phase else None,
        customer_id=query.customer_id,
    )
    page = opportunity_list(actor, filters, page=query.page)
    if page is None:
        raise PageOutOfRange
    return {
        "items": [opportunity_out(o) for o in page.items],
        "count": page.count,
        "page": page.page,
        "page_size": settings.KEHU_PAGE_SIZE,
        "num_pages": page.num_pages,
    }


@router.get(
    "/opportunities/{opportunity_id}",
    response={200: OpportunityDetailOut, **error_responses(404)},
    summary="Read an opportunity with its lines and phase history",
    description="The ``ETag`` header carries the version to send back with a change.",
)
def opportunities_read(request: HttpRequest, response: HttpResponse, opportunity_id: int) -> Any:
    return _detail(response, _opportunity(request, opportunity_id))


@router.patch(
    "/opportunities/{opportunity_id}",
    response={200: OpportunityDetailOut, **error_responses(403, 404, 409, 428)},
    summary="Change an opportunity (send the version you read)",
)
def opportunities_patch(
    request: HttpRequest,
    response: HttpResponse,
    opportunity_id: int,
    payload: OpportunityPatchIn,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Any:
    actor = actor_of(request)
    opportunity = _opportunity(request, opportunity_id, write=True)
    version = version_from(payload.version, if_match, required=True)
    assert version is not None
    sent = payload.model_fields_set - {"version", "lines", "owner_id"}
    data = {key: getattr(payload, key) for key in sent}
    if "name" in data and data["name"] is None:
        raise ValidationError({"name": _("请填写商机名称。")})
    opportunity_update(
        actor=actor,
        opportunity=opportunity,
        version=version,
        data=data,
        lines=_lines(payload.lines),
        owner=_owner(actor, payload.owner_id),
    )
    return _detail(response, _opportunity(request, opportunity.pk))


@router.post(
    "/opportunities/{opportunity_id}/phase",
    response={200: OpportunityDetailOut, **error_responses(403, 404, 409, "closed")},
    summary="Move an opportunity to another phase",
)
def opportunities_phase(
    request: HttpRequest, response: HttpResponse, opportunity_id: int, payload: PhaseIn
) -> Any:
    opportunity = _opportunity(request, opportunity_id, write=True)
    opportunity_move(
        actor=actor_of(request),
        opportunity=opportunity,
        phase=_phase(payload.phase),
        version=payload.version,
        note=payload.note,
    )
    return _detail(response, _opportunity(request, opportunity.pk))


@router.post(
    "/opportunities/{opportunity_id}/won",
    response={200: OpportunityDetailOut, **error_responses(403, 404, 409, "closed")},
    summary="Win an opportunity: its order is recorded",
    description=(
        "The order is the opportunity's products at their prices, or without products its "
        "amount (``order_id``). 422 ``invalid`` when it has neither."
    ),
)
def opportunities_won(
    request: HttpRequest, response: HttpResponse, opportunity_id: int, payload: WonIn
) -> Any:
    opportunity = _opportunity(request, opportunity_id, write=True)
    opportunity_win(
        actor=actor_of(request),
        opportunity=opportunity,
        version=payload.version,
        ordered_at=payload.ordered_at,
        payment_status=PaymentStatus(payload.payment_status),
    )
    return _detail(response, _opportunity(request, opportunity.pk))


@router.post(
    "/opportunities/{opportunity_id}/lost",
    response={200: OpportunityDetailOut, **error_responses(403, 404, 409, "closed")},
    summary="Lose an opportunity, with a reason",
)
def opportunities_lost(
    request: HttpRequest, response: HttpResponse, opportunity_id: int, payload: LostIn
) -> Any:
    opportunity = _opportunity(request, opportunity_id, write=True)
    reason = LossReason.objects.filter(pk=payload.reason_id).first()
    opportunity_lose(
        actor=actor_of(request),
        opportunity=opportunity,
        reason=reason,
        note=payload.note,
        version=payload.version,
    )
    return _detail(response, _opportunity(request, opportunity.pk))


def _bucket(bucket: Bucket) -> dict[str, Any]:
    return {
        "key": bucket.key,
        "label": bucket.label,
        "count": bucket.count,
        "amount": bucket.amount,
        "weighted": bucket.weighted,
    }


@router.get(
    "/analytics/forecast",
    response={200: ForecastOut},
    summary="The sales forecast: open opportunities' weighted amount by month, owner, team",
    description=(
        "Weighted amount = amount × probability (set, or the phase's), of the open "
        "opportunities you may see, by month of expected close."
    ),
)
def analytics_forecast(request: HttpRequest, query: Query[ForecastQuery]) -> Any:
    if query.start and query.end and query.start > query.end:
        raise ValidationError({"end": _("结束日期不能早于开始日期。")})
    result = forecast(
        actor_of(request),
        Scope(owner_id=query.owner, team_id=query.team),
        start=query.start,
        end=query.end,
    )
    return {
        "months": [_bucket(b) for b in result.months],
        "owners": [_bucket(b) for b in result.owners],
        "teams": [_bucket(b) for b in result.teams],
        "total": _bucket(result.total),
    }
