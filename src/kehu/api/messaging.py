"""/api/v1: group sends (campaigns) and customers' consent to receive messages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from kehu.api.auth import actor_of
from kehu.api.customers import DbId, Storable, customer_or_404
from kehu.api.errors import ApiError, error_responses
from kehu.customers.models import CustomerKind, SourceChannel
from kehu.customers.selectors import CustomerFilters
from kehu.messaging.access import access_campaign, can_change_consent
from kehu.messaging.models import Campaign, ConsentSource, ConsentStatus, MessageTemplate, Purpose
from kehu.messaging.selectors import campaign_progress, customer_consents
from kehu.messaging.services import Audience, campaign_create, campaign_preview, consent_set

router = Router(tags=["messaging"])

Text32 = Annotated[str, Field(max_length=32), Storable]
Text64 = Annotated[str, Field(max_length=64), Storable]
Text100 = Annotated[str, Field(max_length=100), Storable]
Text200 = Annotated[str, Field(max_length=200), Storable]
Text5000 = Annotated[str, Field(max_length=5000), Storable]
ChannelIn = Literal["email", "sms"]


class FiltersIn(Schema):
    """The customer list's filters (see ``GET /customers``)."""

    model_config = ConfigDict(extra="forbid")
    q: Text100 = ""
    owner: DbId | None = None
    team: DbId | None = None
    tag: DbId | None = None
    province: Text32 = ""
    city: Text32 = ""
    source: SourceChannel | None = None
    kind: CustomerKind | None = None
    industry: Text64 = ""
    segment: DbId | None = Field(
        None, description="A saved segment you may see (/api/v1/segments): its members."
    )


class AudienceIn(Schema):
    model_config = ConfigDict(extra="forbid")
    customer_ids: list[DbId] = Field(default_factory=list, max_length=10_000)
    tag_id: DbId | None = None
    filters: FiltersIn | None = None


class CampaignIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: Text200
    template_id: DbId | None = Field(None, description="Use a saved template's channel and text.")
    channel: ChannelIn | None = Field(None, description="Required without template_id.")
    purpose: Purpose = Purpose.MARKETING
    subject: Text200 = ""
    body: Text5000 = ""
    audience: AudienceIn
    preview: bool = Field(False, description="Only count and render the first recipients.")


class ProgressOut(Schema):
    total: int
    queued: int
    sending: int
    sent: int
    failed: int
    skipped: int
    skipped_by_reason: dict[str, int]


class CampaignOut(Schema):
    id: int
    name: str
    channel: str
    purpose: str
    status: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    progress: ProgressOut


class SampleOut(Schema):
    customer_id: int
    address: str
    status: str
    reason: str
    subject: str
    body: str


class PreviewOut(Schema):
    count: int = Field(description="Customers in the audience that you may message.")
    recipients: int = Field(
        description="Of them, who will receive it: consent (for marketing and care, granted "
        "on the channel; never withdrawn) and an address on the channel."
    )
    skipped: int = Field(description="count - recipients")
    skipped_by_reason: dict[str, int] = Field(description="no_consent, withdrawn, no_address")
    scope: Literal["all", "team", "own", "none"] = Field(
        description="Whose customers your sends reach: all (admins), team (managers), own."
    )
    samples: list[SampleOut] = Field(description="The first recipients' messages.")


def _campaign_out(campaign: Campaign) -> dict[str, Any]:
    progress = campaign_progress(campaign)
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "channel": campaign.channel,
        "purpose": campaign.purpose,
        "status": campaign.status,
        "created_at": campaign.created_at,
        "finished_at": campaign.finished_at,
        "progress": {
            "total": progress.total,
            "queued": progress.queued,
            "sending": progress.sending,
            "sent": progress.sent,
            "failed": progress.failed,
            "skipped": progress.skipped,
            "skipped_by_reason": progress.skipped_by_reason,
        },
    }


def _audience(payload: AudienceIn) -> Audience:
    filters = None
    if payload.filters is not None:
        data = payload.filters.model_dump()
        data["source"] = data["source"] or ""
        data["kind"] = data["kind"] or ""
        filters = CustomerFilters(**data)
    return Audience(customer_ids=payload.customer_ids, tag_id=payload.tag_id, filters=filters)


@router.post(
    "/campaigns",
    response={201: CampaignOut, 200: PreviewOut, **error_responses(403, 404)},
    summary="Send a message to one or many customers (or preview it)",
    description=(
        "The audience is explicit ids, a tag and/or the customer list's filters, limited "
        "to the customers you may message. Customers without consent (marketing, care) "
        "or who withdrew it are skipped and counted in ``progress.skipped_by_reason``."
    ),
)
def campaigns_create(request: HttpRequest, payload: CampaignIn) -> Any:
    actor = actor_of(request)
    template = None
    if payload.template_id is not None:
        template = MessageTemplate.objects.filter(
            pk=payload.template_id, deleted_at__isnull=True
        ).first()
        if template is None:
            raise ApiError(404, "not_found", _("未找到。"))
    elif payload.channel is None:
        raise ApiError(422, "invalid", _("请填写渠道。"), errors={"channel": [_("请填写渠道。")]})
    channel = template.channel if template else str(payload.channel)
    subject = template.subject if template else payload.subject
    body = template.body if template else payload.body
    audience = _audience(payload.audience)
    if payload.preview:
        preview = campaign_preview(
            actor=actor,
            channel=channel,
            audience=audience,
            purpose=payload.purpose,
            subject=subject,
            body=body,
        )
        samples = [
            {
                "customer_id": r.customer_id,
                "address": r.address,
                "status": r.status,
                "reason": r.reason,
                "subject": r.subject,
                "body": r.body,
            }
            for r in preview.samples
        ]
        return Status(
            200,
            {
                "count": preview.count,
                "recipients": preview.receiving,
                "skipped": preview.reach.skipped_total,
                "skipped_by_reason": preview.reach.skipped,
                "scope": preview.scope,
                "samples": samples,
            },
        )
    campaign = campaign_create(
        actor=actor,
        name=payload.name,
        channel=channel,
        audience=audience,
        purpose=payload.purpose,
        subject=subject,
        body=body,
        template=template,
    )
    return Status(201, _campaign_out(campaign))


@router.get(
    "/campaigns/{campaign_id}",
    response={200: CampaignOut, **error_responses(404)},
    summary="A campaign and its progress",
)
def campaigns_get(request: HttpRequest, campaign_id: int) -> Any:
    return _campaign_out(access_campaign(actor_of(request), campaign_id))


class ConsentOut(Schema):
    channel: str
    status: str | None = Field(description="granted, withdrawn, or null (never asked)")
    source: str | None
    at: dt.datetime | None
    actor_id: int | None
    version: int


class ConsentListOut(Schema):
    items: list[ConsentOut]


class ConsentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    channel: ChannelIn
    status: ConsentStatus
    source: ConsentSource = ConsentSource.API
    note: Text200 = ""
    version: Annotated[int, Field(ge=0, le=2**31)] | None = Field(
        None, description="The version read (optimistic locking); omit to overwrite."
    )


def _consents_out(customer: Any) -> dict[str, Any]:
    return {
        "items": [
            {
                "channel": row.channel,
                "status": row.consent.status if row.consent else None,
                "source": row.consent.source if row.consent else None,
                "at": row.consent.at if row.consent else None,
                "actor_id": row.consent.actor_id if row.consent else None,
                "version": row.consent.version if row.consent else 0,
            }
            for row in customer_consents(customer)
        ]
    }


@router.get(
    "/customers/{customer_id}/consent",
    response={200: ConsentListOut, **error_responses(404)},
    summary="A customer's consent to receive messages, per channel",
)
def consent_get(request: HttpRequest, customer_id: int) -> Any:
    return _consents_out(customer_or_404(request, customer_id))


@router.put(
    "/customers/{customer_id}/consent",
    response={200: ConsentListOut, **error_responses(403, 404, 409)},
    summary="Record a customer's consent (or its withdrawal) on one channel",
)
def consent_put(request: HttpRequest, customer_id: int, payload: ConsentIn) -> Any:
    actor = actor_of(request)
    customer = customer_or_404(request, customer_id)
    if not can_change_consent(actor, customer):
        raise PermissionDenied
    consent_set(
        actor=actor,
        customer=customer,
        channel=payload.channel,
        status=payload.status,
        source=payload.source,
        note=payload.note,
        version=payload.version,
    )
    return _consents_out(customer)
