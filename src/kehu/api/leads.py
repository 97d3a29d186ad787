"""/api/v1/leads: leads (线索) — the same access helpers, selectors and services as the
pages.

``POST /leads`` is idempotent by ``source`` + ``external_id``: a retry answers 200 with
the lead made the first time (201 when it was created now). Errors: 422 ``invalid``
(field errors: a phone in a foreign format, an unknown reason), 404 ``not_found``,
409 ``conflict`` (a stale ``version``), ``lead_state`` (a step the lead's status does
not allow), ``duplicate`` (converting into a customer that looks like an existing
one), the pool's codes on a claim, 428 ``version_required``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema
from ninja.responses import Status as HttpStatus
from pydantic import ConfigDict
from pydantic.json_schema import SkipJsonSchema

from kehu.api.auth import actor_of
from kehu.api.customers import (
    MAX_PAGE,
    MAX_PAGE_SIZE,
    CustomerOut,
    DbId,
    PhoneText,
    Storable,
    Text32,
    Text64,
    Text100,
    Text200,
    UserRef,
    customer_or_404,
    detail_response,
    version_from,
)
from kehu.api.errors import error_responses
from kehu.customers.access import contact_data_hidden
from kehu.customers.models import SourceChannel
from kehu.leads import models as m
from kehu.leads.access import access_lead
from kehu.leads.assignment import lead_pool_claim
from kehu.leads.conversion import lead_convert
from kehu.leads.models import DisqualifyReason, Lead
from kehu.leads.selectors import LeadFilters, lead_attempts, lead_list
from kehu.leads.services import BY_RULE, attempt_log, lead_create, lead_qualify, lead_update

router = Router(tags=["leads"])

LeadStatus = Literal["new", "contacting", "qualified", "disqualified", "converted"]
Outcome = Literal["connected", "no_answer", "invalid_number", "refused", "appointment"]
PhoneCheck = Literal["", "valid", "region_mismatch", "foreign", "invalid"]
for _literal, _choices in (
    (LeadStatus, m.LeadStatus),
    (Outcome, m.AttemptOutcome),
    (PhoneCheck, m.PhoneCheck),
):
    assert set(_literal.__args__) == set(_choices.values)  # type: ignore[attr-defined]

Text500 = Annotated[str, Field(max_length=500), Storable]
Text1000 = Annotated[str, Field(max_length=1000), Storable]
Text2000 = Annotated[str, Field(max_length=2000), Storable]
Name = Annotated[str, Field(min_length=1, max_length=100), Storable]


class ReasonRef(Schema):
    id: int
    name: str


class AttemptOut(Schema):
    id: int
    outcome: Outcome
    note: str
    appointment_at: dt.datetime | None
    at: dt.datetime
    actor: UserRef | None


class LeadOut(Schema):
    id: int
    name: str
    phone: str | None = Field(description="E.164; null while a salesperson sees it in the pool.")
    company: str
    province: str
    city: str
    source_channel: SourceChannel
    campaign_id: int | None
    notes: str
    status: LeadStatus
    owner: UserRef | None = Field(description="null: the lead is in the lead pool.")
    phone_check: PhoneCheck = Field(description="Verification of the phone ('': not yet).")
    phone_region: str
    duplicate_customers: int
    duplicate_leads: int
    verified_at: dt.datetime | None
    disqualify_reason: ReasonRef | None
    qualify_note: str
    customer_id: int | None = Field(description="The customer it was converted into.")
    converted_at: dt.datetime | None
    last_attempt_at: dt.datetime | None
    source: str
    external_id: str
    version: int = Field(description="Send it back with a change (optimistic locking).")
    created_at: dt.datetime
    updated_at: dt.datetime


class LeadDetailOut(LeadOut):
    attempts: list[AttemptOut]


class LeadPageOut(Schema):
    items: list[LeadOut]
    count: int
    page: int
    page_size: int
    num_pages: int


class LeadIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: Name
    phone: PhoneText
    company: Text200 = ""
    province: Text32 = ""
    city: Text32 = ""
    source_channel: SourceChannel = SourceChannel.UNKNOWN
    campaign_id: DbId | None = None
    notes: Text2000 = ""
    source: Text32 = Field("", description="Your system's name; with external_id, the retry key.")
    external_id: Text64 = ""
    owner_id: DbId | SkipJsonSchema[None] = Field(
        None, description="Default: the assignment rules (round-robin, region, or the pool)."
    )


class LeadPatchIn(Schema):
    model_config = ConfigDict(extra="forbid")
    version: DbId | SkipJsonSchema[None] = Field(None, description="The version you read.")
    name: Name | SkipJsonSchema[None] = None
    phone: PhoneText | SkipJsonSchema[None] = None
    company: Text200 | SkipJsonSchema[None] = None
    province: Text32 | SkipJsonSchema[None] = None
    city: Text32 | SkipJsonSchema[None] = None
    source_channel: SourceChannel | SkipJsonSchema[None] = None
    campaign_id: DbId | None = Field(None, description="null clears it.")
    notes: Text2000 | SkipJsonSchema[None] = None


class AttemptIn(Schema):
    model_config = ConfigDict(extra="forbid")
    outcome: Outcome
    note: Text1000 = ""
    appointment_at: dt.datetime | None = Field(None, description="Required for appointment.")


class QualifyIn(Schema):
    model_config = ConfigDict(extra="forbid")
    qualified: bool
    reason_id: DbId | None = Field(None, description="Required when not qualified.")
    note: Text500 = ""
    version: DbId | SkipJsonSchema[None] = None


class ConvertIn(Schema):
    model_config = ConfigDict(extra="forbid")
    customer_id: DbId | None = Field(None, description="Link to this existing customer instead.")
    allow_duplicate: bool = False
    opportunity: dict[str, Any] | None = Field(
        None,
        description=(
            "Open an opportunity too, in the first phase: name, amount (a decimal "
            "string), expected_close_date, next_step, notes."
        ),
    )


class ConvertOut(Schema):
    lead: LeadOut
    customer: CustomerOut
    opportunity_id: int | None


class LeadQuery(Schema):
    status: LeadStatus | SkipJsonSchema[None] = None
    source_channel: SourceChannel | SkipJsonSchema[None] = None
    q: Text100 = ""
    mine: bool = False
    pool: bool = False
    page: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 1
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 25


def _user(user: Any) -> dict[str, Any] | None:
    return {"id": user.pk, "username": user.username, "name": user.label} if user else None


def lead_out(lead: Lead, hidden: bool) -> dict[str, Any]:
    fields = (
        "name",
        "company",
        "province",
        "city",
        "source_channel",
        "campaign_id",
        "notes",
        "status",
        "phone_check",
        "phone_region",
        "duplicate_customers",
        "duplicate_leads",
        "verified_at",
        "qualify_note",
        "customer_id",
        "converted_at",
        "last_attempt_at",
        "source",
        "external_id",
        "version",
        "created_at",
        "updated_at",
    )
    reason = lead.disqualify_reason
    return {
        **{name: getattr(lead, name) for name in fields},
        "id": lead.pk,
        "phone": None if hidden else lead.phone,
        "owner": _user(lead.owner),
        "disqualify_reason": {"id": reason.pk, "name": reason.name} if reason else None,
    }


def _detail(request: HttpRequest, response: HttpResponse, lead_id: int) -> dict[str, Any]:
    actor = actor_of(request)
    lead = access_lead(actor, lead_id)
    response["ETag"] = f'"{lead.version}"'
    return {
        **lead_out(lead, contact_data_hidden(actor, lead)),
        "attempts": [
            {
                "id": a.pk,
                "outcome": a.outcome,
                "note": a.note,
                "appointment_at": a.appointment_at,
                "at": a.at,
                "actor": _user(a.actor),
            }
            for a in lead_attempts(lead)
        ],
    }


@router.post(
    "/leads",
    response={200: LeadDetailOut, 201: LeadDetailOut, **error_responses(403)},
    summary="Create a lead (idempotent by source + external_id)",
    description="201 when created; 200 with the existing lead when the key was seen before.",
)
def leads_create(request: HttpRequest, response: HttpResponse, payload: LeadIn) -> Any:
    from kehu.accounts.selectors import users_assignable_by

    actor = actor_of(request)
    data = payload.model_dump(exclude={"owner_id"})
    owner: Any = BY_RULE
    if payload.owner_id is not None:
        owner = users_assignable_by(actor).filter(pk=payload.owner_id).first()
        if owner is None:
            raise ValidationError({"owner_id": [_("不能把线索分配给该用户。")]})
    lead, created = lead_create(actor=actor, data=data, owner=owner)
    return HttpStatus(201 if created else 200, _detail(request, response, lead.pk))


@router.get(
    "/leads",
    response={200: LeadPageOut},
    summary="List leads (filters: status, channel, text, mine, pool)",
    description="404 ``page_out_of_range`` for a page past the last one.",
)
def leads_list(request: HttpRequest, query: Query[LeadQuery]) -> Any:
    actor = actor_of(request)
    filters = LeadFilters(
        status=query.status or "",
        source_channel=query.source_channel or "",
        q=query.q,
        mine=query.mine,
        pool=query.pool,
    )
    page = lead_list(actor, filters, page=query.page, page_size=query.page_size)
    return {
        "items": [lead_out(lead, contact_data_hidden(actor, lead)) for lead in page.items],
        "count": page.count,
        "page": page.page,
        "page_size": query.page_size,
        "num_pages": page.num_pages,
    }


@router.get(
    "/leads/{lead_id}",
    response={200: LeadDetailOut, **error_responses(404)},
    summary="Read a lead with its contact attempts",
    description="The ``ETag`` header carries the version to send back with a change.",
)
def leads_read(request: HttpRequest, response: HttpResponse, lead_id: int) -> Any:
    return _detail(request, response, lead_id)


@router.patch(
    "/leads/{lead_id}",
    response={200: LeadDetailOut, **error_responses(403, 404, 409, 428, "lead_state")},
    summary="Change a lead (send the version you read)",
)
def leads_patch(
    request: HttpRequest,
    response: HttpResponse,
    lead_id: int,
    payload: LeadPatchIn,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Any:
    actor = actor_of(request)
    lead = access_lead(actor, lead_id, write=True)
    version = version_from(payload.version, if_match, required=True)
    assert version is not None
    sent = payload.model_dump(exclude_unset=True, exclude={"version"})
    data = {k: v for k, v in sent.items() if v is not None or k == "campaign_id"}
    lead_update(actor=actor, lead=lead, data=data, version=version)
    return _detail(request, response, lead.pk)


@router.post(
    "/leads/{lead_id}/attempts",
    response={201: AttemptOut, **error_responses(403, 404, "lead_state")},
    summary="Log a contact attempt with its outcome",
)
def leads_attempt(request: HttpRequest, lead_id: int, payload: AttemptIn) -> Any:
    actor = actor_of(request)
    lead = access_lead(actor, lead_id, write=True)
    attempt = attempt_log(actor=actor, lead=lead, **payload.model_dump())
    return HttpStatus(
        201,
        {
            "id": attempt.pk,
            "outcome": attempt.outcome,
            "note": attempt.note,
            "appointment_at": attempt.appointment_at,
            "at": attempt.at,
            "actor": _user(actor),
        },
    )


@router.post(
    "/leads/{lead_id}/qualify",
    response={200: LeadDetailOut, **error_responses(403, 404, 409, "lead_state")},
    summary="Qualify (合格) or disqualify (不合格, with a reason) a lead",
)
def leads_qualify(
    request: HttpRequest, response: HttpResponse, lead_id: int, payload: QualifyIn
) -> Any:
    actor = actor_of(request)
    lead = access_lead(actor, lead_id, write=True)
    reason = None
    if payload.reason_id is not None:
        reason = DisqualifyReason.objects.filter(pk=payload.reason_id, is_active=True).first()
        if reason is None:
            raise ValidationError({"reason_id": [_("没有这个不合格原因。")]})
    lead_qualify(
        actor=actor,
        lead=lead,
        qualified=payload.qualified,
        reason=reason,
        note=payload.note,
        version=payload.version,
    )
    return _detail(request, response, lead.pk)


@router.post(
    "/leads/{lead_id}/convert",
    response={201: ConvertOut, **error_responses(403, 404, "lead_state", "duplicate")},
    summary="Convert a qualified lead into a customer",
    description=(
        "The customer keeps the lead's history on its timeline and its ``lead_id``; it "
        "enters the first stage of every active lifecycle model."
    ),
)
def leads_convert(
    request: HttpRequest, response: HttpResponse, lead_id: int, payload: ConvertIn
) -> Any:
    actor = actor_of(request)
    lead = access_lead(actor, lead_id, write=True)
    into = (
        customer_or_404(request, payload.customer_id, write=True)
        if payload.customer_id is not None
        else None
    )
    done = lead_convert(
        actor=actor,
        lead=lead,
        into=into,
        allow_duplicate=payload.allow_duplicate,
        opportunity=payload.opportunity,
    )
    lead = access_lead(actor, lead.pk)
    return HttpStatus(
        201,
        {
            "lead": lead_out(lead, contact_data_hidden(actor, lead)),
            "customer": detail_response(HttpResponse(), done.customer, actor),
            "opportunity_id": getattr(done.opportunity, "pk", None),
        },
    )


@router.post(
    "/leads/{lead_id}/claim",
    response={
        200: LeadDetailOut,
        **error_responses(403, 404, "taken", "already_yours", "blocked", "over_cap", "changed"),
    },
    summary="Claim a lead from the lead pool",
)
def leads_claim(request: HttpRequest, response: HttpResponse, lead_id: int) -> Any:
    actor = actor_of(request)
    lead = access_lead(actor, lead_id)
    lead_pool_claim(actor=actor, lead_id=lead.pk)
    return _detail(request, response, lead.pk)
