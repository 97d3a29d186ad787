"""/api/v1: surveys — send invitations, read results."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict, model_validator

from kehu.api.auth import actor_of
from kehu.api.customers import DbId, Text32, Text100
from kehu.api.errors import error_responses
from kehu.core.dates import ApiDate
from kehu.customers.models import Customer
from kehu.customers.selectors import CustomerFilters
from kehu.surveys.access import access_report, access_survey, can_send_surveys
from kehu.surveys.models import Channel
from kehu.surveys.selectors import GROUPS, ResultFilters, segment_customers, survey_results
from kehu.surveys.services import invitations_send

router = Router(tags=["surveys"])

MAX_IDS = 1000
Language = Literal["zh-hans", "en"]
Group = Literal["month", "team", "owner", "product"]
assert set(Group.__args__) == set(GROUPS)  # type: ignore[attr-defined]


class FilterIn(Schema):
    """The customer list's filters (``/api/v1/customers``), scoped to what you see."""

    model_config = ConfigDict(extra="forbid")
    q: Text100 = ""
    owner: DbId | None = None
    team: DbId | None = None
    tag: DbId | None = None
    pool: bool = False
    province: Text32 = ""
    city: Text32 = ""
    segment: DbId | None = Field(
        None, description="A saved segment you may see (/api/v1/segments): its members."
    )


class SendIn(Schema):
    model_config = ConfigDict(extra="forbid")
    customer_ids: list[DbId] | None = Field(None, max_length=MAX_IDS)
    filter: FilterIn | None = None
    # A Literal, not the model enum: OpenAPI names enum components after their class,
    # and orders has a ``Channel`` of its own.
    channel: Literal["sms", "email", "link"] = "sms"
    language: Language = "zh-hans"

    @model_validator(mode="after")
    def one_audience(self) -> SendIn:
        if (self.customer_ids is None) == (self.filter is None):
            raise ValueError("give either customer_ids or filter")
        return self


class LinkOut(Schema):
    customer_id: int
    invitation_id: int
    url: str


class SendOut(Schema):
    invitations: int
    skipped: int
    skipped_reasons: dict[str, int] = Field(
        description="not_allowed (not yours to follow up, or no such customer), "
        "open_invitation (already has an unanswered one)."
    )
    truncated: bool = Field(description="A filter matched more customers than one send takes.")
    links: list[LinkOut] = Field(description="With channel ``link``: the links to hand out.")


@router.post(
    "/surveys/{survey_id}/send",
    response={200: SendOut, **error_responses(403, 404, 503)},
    summary="Invite customers (ids or a filter) to a survey",
)
def surveys_send(request: HttpRequest, survey_id: int, payload: SendIn) -> Any:
    actor = actor_of(request)
    survey = access_survey(actor, survey_id)
    if not can_send_surveys(actor):
        raise PermissionDenied
    truncated = False
    missing = 0
    if payload.customer_ids is not None:
        ids = list(dict.fromkeys(payload.customer_ids))
        customers = list(Customer.objects.alive().filter(pk__in=ids).select_related("owner"))
        missing = len(ids) - len(customers)
    else:
        assert payload.filter is not None
        customers, truncated = segment_customers(
            actor, CustomerFilters(**payload.filter.model_dump())
        )
    result = invitations_send(
        actor=actor,
        survey=survey,
        customers=customers,
        channel=payload.channel,
        language=payload.language,
        source="manual" if payload.customer_ids is not None else "segment",
    )
    reasons = dict(result.skipped)
    if missing:
        reasons["not_allowed"] = reasons.get("not_allowed", 0) + missing
    return {
        "invitations": result.created,
        "skipped": sum(reasons.values()),
        "skipped_reasons": reasons,
        "truncated": truncated,
        "links": [
            {"customer_id": i.customer_id, "invitation_id": i.pk, "url": result.links[i.pk]}
            for i in result.invitations
            if payload.channel == Channel.LINK
        ],
    }


class BucketOut(Schema):
    key: str
    label: str
    sent: int
    answered: int
    response_rate: float | None = Field(description="answered / sent, in %.")
    csat_count: int
    csat_share: float | None = Field(description="Share of 4–5 answers, in %.")
    csat_mean: float | None
    nps_count: int
    promoters: int
    detractors: int
    nps: float | None = Field(description="% promoters (9–10) − % detractors (0–6).")


class ResultsOut(Schema):
    survey_id: int
    group: str
    totals: BucketOut
    groups: list[BucketOut]
    truncated: bool


MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class ResultsQuery(Schema):
    group: Group = "month"
    period: Annotated[str, Field(max_length=7, description="A month, YYYY-MM.")] = ""
    date_from: ApiDate | None = None
    date_to: ApiDate | None = None
    team: DbId | None = None
    owner: DbId | None = None


def _period(query: ResultsQuery) -> tuple[dt.date | None, dt.date | None]:
    if not query.period:
        return query.date_from, query.date_to
    if not MONTH.match(query.period):
        raise ValidationError({"period": _("月份格式为 YYYY-MM。")})
    year, month = (int(p) for p in query.period.split("-"))
    first = dt.date(year, month, 1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return first, last


@router.get(
    "/surveys/{survey_id}/results",
    response={200: ResultsOut, **error_responses(403, 404)},
    summary="CSAT, NPS and response rate, grouped by month, team, owner or product",
)
def surveys_results(request: HttpRequest, survey_id: int, query: Query[ResultsQuery]) -> Any:
    actor = actor_of(request)
    survey = access_report(actor, survey_id)
    date_from, date_to = _period(query)
    filters = ResultFilters(
        group=query.group, date_from=date_from, date_to=date_to, team=query.team, owner=query.owner
    )
    results = survey_results(actor, survey, filters)
    return {
        "survey_id": survey.pk,
        "group": filters.group,
        "totals": results.totals.as_dict(),
        "groups": [b.as_dict() for b in results.groups],
        "truncated": results.truncated,
    }
