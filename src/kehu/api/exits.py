"""/api/v1: exits (客户退出) and the exit analysis — the same access helpers, selectors
and services as the pages (``kehu.exits``).

An exit follows its customer (404 for one the caller cannot see); recording one needs
the right to change the customer (403). Errors: 422 ``invalid`` (an unknown or
retired reason, a missing competitor or details where the reason asks for them,
refunds of another customer, a second open exit), 409 ``conflict`` (a stale
``version``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status as HttpStatus
from pydantic import ConfigDict
from pydantic.json_schema import SkipJsonSchema

from kehu.api.auth import actor_of
from kehu.api.customers import MAX_PAGE, MAX_PAGE_SIZE, DbId, Storable, customer_or_404
from kehu.api.errors import ApiError, error_responses
from kehu.core.dates import ApiDate, ApiDateTime
from kehu.core.paging import query_page
from kehu.exits.access import access_exit
from kehu.exits.analysis import DIMENSIONS, ExitQuery, Row, exit_analysis
from kehu.exits.models import ExitReason, ExitRecord
from kehu.exits.selectors import ExitFilters, exit_list, reason_find, reasons_all
from kehu.exits.services import exit_record, exit_update
from kehu.orders.models import Refund

router = Router(tags=["exits"])

Source = Literal["rule", "manual"]
By = Literal[
    "reason", "segment", "tier", "group", "tenure", "channel", "product", "owner", "team", "month"
]
assert set(By.__args__) == set(DIMENSIONS)  # type: ignore[attr-defined]
ReasonRef = Annotated[str, Field(min_length=1, max_length=40, description="A reason's key or id")]
Competitor = Annotated[str, Field(max_length=100), Storable]
Details = Annotated[str, Field(max_length=2000), Storable]
CENT = Decimal("0.01")


class ReasonOut(Schema):
    id: int
    key: str
    name: str
    description: str
    addressable: bool = Field(description="Worth trying to win back (not 停业/倒闭, 坏账)")
    requires_details: bool
    asks_competitor: bool
    is_active: bool


class ExitOut(Schema):
    id: int
    customer_id: int
    at: dt.datetime
    reason: ReasonOut
    competitor: str
    details: str
    source: Source
    refund_ids: list[int]
    product_ids: list[int] = Field(description="The products of the last purchase before")
    value_before: Decimal = Field(description="Lifetime value when scored, else 12-month revenue")
    clv: Decimal | None
    revenue_12m: Decimal
    tier: int | None
    value_group: str = Field(description="top, middle, drain; '' when not scored")
    tenure_days: int | None = Field(description="First purchase to the exit; null: none")
    owner_id: int | None = Field(description="The owner when the customer left")
    team_id: int | None
    channel: str
    interview_invitation_id: int | None
    won_back_at: dt.datetime | None
    won_back_order_id: int | None
    version: int
    created_at: dt.datetime


class ExitPageOut(Schema):
    items: list[ExitOut]
    count: int
    page: int
    page_size: int
    num_pages: int


class ExitListQuery(Schema):
    reason: ReasonRef | SkipJsonSchema[None] = None
    source: Source | SkipJsonSchema[None] = None
    customer_id: DbId | SkipJsonSchema[None] = None
    won_back: bool | SkipJsonSchema[None] = None
    since: ApiDate | SkipJsonSchema[None] = None
    until: ApiDate | SkipJsonSchema[None] = None
    page: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 1
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 25


class ExitIn(Schema):
    model_config = ConfigDict(extra="forbid")
    customer_id: DbId
    reason: ReasonRef
    competitor: Competitor = Field("", description="Required when the reason asks for it")
    details: Details = Field("", description="Required when the reason asks for it")
    refund_ids: list[DbId] = Field(default_factory=list, max_length=100)
    at: ApiDateTime | None = Field(None, description="ISO 8601 with zone; default now.")


class ExitPatchIn(Schema):
    model_config = ConfigDict(extra="forbid")
    version: DbId = Field(description="The version you read.")
    reason: ReasonRef | SkipJsonSchema[None] = None
    competitor: Competitor | SkipJsonSchema[None] = None
    details: Details | SkipJsonSchema[None] = None
    refund_ids: list[DbId] | SkipJsonSchema[None] = Field(None, max_length=100)


class AnalysisQuery(Schema):
    by: By = "reason"
    since: ApiDate | SkipJsonSchema[None] = None
    until: ApiDate | SkipJsonSchema[None] = None
    reason: ReasonRef | SkipJsonSchema[None] = None


class ReasonCount(Schema):
    reason_id: int
    key: str
    exits: int


class GroupOut(Schema):
    key: str
    label: str
    exits: int
    won_back: int
    value_before: Decimal
    reasons: list[ReasonCount]


class ContextOut(Schema):
    name: str
    label: str
    group: GroupOut


class AnalysisOut(Schema):
    by: By
    since: dt.date | None
    until: dt.date | None
    reasons: list[ReasonOut]
    groups: list[GroupOut] = Field(description="One per value of ``by``; none for 'reason'")
    total: GroupOut
    contexts: list[ContextOut] = Field(description="Apart: e.g. left while a playbook ran")


def _reason(reason: ExitReason) -> dict[str, Any]:
    return {
        name: getattr(reason, name)
        for name in (
            "id",
            "key",
            "name",
            "description",
            "addressable",
            "requires_details",
            "asks_competitor",
            "is_active",
        )
    }


def exit_out(record: ExitRecord) -> dict[str, Any]:
    return {
        **{
            name: getattr(record, name)
            for name in (
                "id",
                "customer_id",
                "at",
                "competitor",
                "details",
                "source",
                "clv",
                "revenue_12m",
                "value_before",
                "tier",
                "value_group",
                "tenure_days",
                "owner_id",
                "team_id",
                "channel",
                "won_back_at",
                "won_back_order_id",
                "version",
                "created_at",
            )
        },
        "reason": _reason(record.reason),
        "refund_ids": sorted(r.pk for r in record.refunds.all()),
        "product_ids": sorted(p.pk for p in record.products.all()),
        "interview_invitation_id": record.invitation_id,
    }


def _links(rows: Any) -> Any:
    return rows.prefetch_related(
        Prefetch("refunds", queryset=Refund.objects.only("pk")), "products"
    )


def _reason_or_422(value: str | None) -> ExitReason | None:
    if value is None:
        return None
    found = reason_find(value)
    if found is None:
        raise ValidationError(
            {"reason": _("没有这个退出原因（或已停用）：%(r)s") % {"r": value[:40]}}
        )
    return found


def _read(request: HttpRequest, exit_id: int) -> dict[str, Any]:
    record = access_exit(actor_of(request), exit_id)
    [shown] = _links(ExitRecord.objects.filter(pk=record.pk).select_related("reason"))
    return exit_out(shown)


@router.get(
    "/exits/reasons",
    response={200: list[ReasonOut]},
    summary="The exit reasons (taxonomy), in order",
)
def exits_reasons(request: HttpRequest) -> Any:
    actor_of(request)
    return [_reason(r) for r in reasons_all()]


@router.get(
    "/exits",
    response={200: ExitPageOut, **error_responses(404)},
    summary="Exits of the customers you may see, newest first",
    description="404 ``page_out_of_range`` for a page past the last one.",
)
def exits_list(request: HttpRequest, query: Query[ExitListQuery]) -> Any:
    actor = actor_of(request)
    reason = None
    if query.reason is not None:
        text = query.reason.strip()
        found = ExitReason.objects.filter(
            **({"pk": int(text)} if text.isdigit() and len(text) < 12 else {"key": text})
        ).first()
        if found is None:
            raise ValidationError({"reason": _("没有这个退出原因：%(r)s") % {"r": text[:40]}})
        reason = found.pk
    filters = ExitFilters(
        reason=reason,
        source=query.source or "",
        customer=query.customer_id,
        won_back=query.won_back,
        since=query.since,
        until=query.until,
    )
    rows = exit_list(actor, filters)
    page = query_page(_links(rows), query.page, query.page_size)
    if page is None:
        raise ApiError(404, "page_out_of_range", _("没有这一页。"))
    return {
        "items": [exit_out(r) for r in page.items],
        "count": page.count,
        "page": page.page,
        "page_size": query.page_size,
        "num_pages": page.num_pages,
    }


@router.post(
    "/exits",
    response={201: ExitOut, **error_responses(403, 404)},
    summary="Record a customer's exit with its reason",
    description=(
        "Also moves the customer into the churned stage of the default lifecycle model. "
        "422 when the customer already has an open exit (change that one)."
    ),
)
def exits_create(request: HttpRequest, payload: ExitIn) -> Any:
    actor = actor_of(request)
    customer = customer_or_404(request, payload.customer_id, write=True)
    if payload.at is not None and payload.at.tzinfo is None:
        raise ValidationError({"at": _("请带上时区，例如 2026-11-29T10:00:00+08:00。")})
    record = exit_record(
        actor=actor,
        customer=customer,
        reason=_reason_or_422(payload.reason),
        competitor=payload.competitor,
        details=payload.details,
        refund_ids=payload.refund_ids,
        at=payload.at,
    )
    return HttpStatus(201, _read(request, record.pk))


@router.get(
    "/exits/{exit_id}",
    response={200: ExitOut, **error_responses(404)},
    summary="Read an exit",
)
def exits_read(request: HttpRequest, response: HttpResponse, exit_id: int) -> Any:
    found = _read(request, exit_id)
    response["ETag"] = f'"{found["version"]}"'
    return found


@router.patch(
    "/exits/{exit_id}",
    response={200: ExitOut, **error_responses(403, 404, 409)},
    summary="Explain an exit: its reason, competitor, details, refunds (send the version)",
)
def exits_patch(request: HttpRequest, exit_id: int, payload: ExitPatchIn) -> Any:
    actor = actor_of(request)
    record = access_exit(actor, exit_id, write=True)
    exit_update(
        actor=actor,
        record=record,
        reason=_reason_or_422(payload.reason) if payload.reason is not None else record.reason,
        competitor=record.competitor if payload.competitor is None else payload.competitor,
        details=record.details if payload.details is None else payload.details,
        refund_ids=payload.refund_ids,
        version=payload.version,
    )
    return _read(request, record.pk)


def _group(row: Row, reasons: list[ExitReason]) -> dict[str, Any]:
    return {
        "key": row.key,
        "label": row.label,
        "exits": row.exits,
        "won_back": row.won_back,
        "value_before": row.value.quantize(CENT),
        "reasons": [
            {"reason_id": r.pk, "key": r.key, "exits": row.counts.get(r.pk, 0)} for r in reasons
        ],
    }


@router.get(
    "/analytics/exits",
    response={200: AnalysisOut},
    summary="Exits grouped by reason and one of segment, tier, tenure, channel, owner…",
    description=(
        "Counts the exits of the customers you may see, as they were when they left. "
        "Tenure bands: none (never bought), lt3m, 3m_1y, 1y_2y, 2y_5y, 5y."
    ),
)
def analytics_exits(request: HttpRequest, query: Query[AnalysisQuery]) -> Any:
    actor = actor_of(request)
    reason = _reason_or_422(query.reason) if query.reason is not None else None
    analysis = exit_analysis(
        actor,
        ExitQuery(
            by=query.by, since=query.since, until=query.until, reason=reason.pk if reason else None
        ),
    )
    reasons = analysis.reasons
    return {
        "by": query.by,
        "since": query.since,
        "until": query.until,
        "reasons": [_reason(r) for r in reasons],
        "groups": [_group(row, reasons) for row in analysis.rows],
        "total": _group(analysis.total, reasons),
        "contexts": [
            {"name": c.name, "label": c.label, "group": _group(c.row, reasons)}
            for c in analysis.contexts
        ],
    }
