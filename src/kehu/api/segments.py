"""/api/v1/segments: saved audiences (客户分群) — list, create, read, change, delete,
count, and the member customers a page at a time.

A rule is a condition in the lifecycle rule language (``kehu.lifecycle.rules``; the
facts: ``GET /api/v1/segments/facts``). A rule the language refuses, or one naming a
stage, tag or flag that does not exist, answers 422 ``invalid_rule`` with the reasons
in ``errors.rule`` and changes nothing. Counts and members are only the customers the
caller may see.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, NoReturn

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from kehu.api.auth import actor_of
from kehu.api.customers import MAX_PAGE, CustomerOut, Text100, _customer_out, version_from
from kehu.api.errors import ApiError, error_responses
from kehu.lifecycle import rules as rulebook
from kehu.segments.access import access_segment
from kehu.segments.audience import rule_errors, rule_words
from kehu.segments.models import Segment
from kehu.segments.selectors import segment_count, segment_page, segments_list
from kehu.segments.services import (
    members_add,
    members_remove,
    segment_create,
    segment_delete,
    segment_update,
)

router = Router(tags=["segments"])

SharingIn = Literal["private", "team", "shared"]
KindIn = Literal["rule", "static"]


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    kind: str = Field(description="rule: by a condition; static: a hand-picked list.")
    rule: dict[str, Any] | None
    rule_text: str = Field(description="The rule in plain words, in the caller's language.")
    sharing: str
    owner_id: int | None = Field(description="null: a ready-made segment.")
    team_id: int | None
    builtin: str = Field(description="A ready-made segment's key (the eight RFM segments).")
    version: int = Field(description="Send it back with a change (optimistic locking).")
    created_at: dt.datetime
    updated_at: dt.datetime


class SegmentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: Text100
    description: Annotated[str, Field(max_length=500)] = ""
    kind: KindIn = "rule"
    rule: dict[str, Any] | None = Field(None, description="The condition (kind rule).")
    sharing: SharingIn = "private"


class SegmentPatchIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: Text100 | None = None
    description: Annotated[str, Field(max_length=500)] | None = None
    rule: dict[str, Any] | None = None
    sharing: SharingIn | None = None
    version: int | None = Field(
        None, description="The version the client read (or send the If-Match header)."
    )


class CountOut(Schema):
    id: int
    count: int


class MembersOut(Schema):
    items: list[CustomerOut]
    count: int
    page: int
    num_pages: int


class PageQuery(Schema):
    page: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 1


class MembersIn(Schema):
    model_config = ConfigDict(extra="forbid")
    add: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(
        default_factory=list, max_length=1000
    )
    remove: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(
        default_factory=list, max_length=1000
    )


class MembersChangedOut(Schema):
    added: int = Field(description="Customers added (ones you may not see are left out).")
    removed: int


class FactOut(Schema):
    name: str
    label: str
    kind: str = Field(description="number, text or set.")
    unit: str
    ops: list[str]
    per_model: bool = Field(description="The leaf names a lifecycle model: {model: key}.")
    per_field: bool = Field(description="The leaf names a custom field: {field: key}.")
    choices: list[str]


def _out(segment: Segment) -> dict[str, Any]:
    return {
        "id": segment.pk,
        "name": segment.name,
        "description": segment.description,
        "kind": segment.kind,
        "rule": segment.rule,
        "rule_text": rule_words(segment.rule) if segment.rule else "",
        "sharing": segment.sharing,
        "owner_id": segment.owner_id,
        "team_id": segment.team_id,
        "builtin": segment.builtin,
        "version": segment.version,
        "created_at": segment.created_at,
        "updated_at": segment.updated_at,
    }


def _refused(error: ValidationError) -> NoReturn:
    """A refused rule answers ``invalid_rule``; other field errors ``invalid``."""
    fields = error.message_dict
    if "rule" in fields:
        raise ApiError(
            422, "invalid_rule", _("条件无效：") + "；".join(fields["rule"]), errors=fields
        ) from None
    raise error


@router.get("/segments", response=list[SegmentOut], summary="The segments you see")
def segments_index(request: HttpRequest) -> Any:
    return [_out(segment) for segment in segments_list(actor_of(request))]


@router.get("/segments/facts", response=list[FactOut], summary="The facts a rule may read")
def segments_facts(request: HttpRequest) -> Any:
    actor_of(request)
    ops = {
        rulebook.NUMBER: [*rulebook.NUMBER_OPS, *rulebook.PRESENCE_OPS],
        rulebook.TEXT: [*rulebook.TEXT_OPS, *rulebook.PRESENCE_OPS],
        rulebook.SET: list(rulebook.SET_OPS),
    }
    return [
        {
            "name": fact.name,
            "label": fact.text(_),
            "kind": fact.kind,
            "unit": _(fact.unit) if fact.unit else "",
            "ops": ops[fact.kind],
            "per_model": fact.per_model,
            "per_field": fact.per_field,
            "choices": [code for code, _label in fact.choices],
        }
        for fact in rulebook.FACTS.values()
        if fact.scope != rulebook.LIFECYCLE and not fact.state and fact.available
    ]


@router.post(
    "/segments",
    response={201: SegmentOut, **error_responses(403, "invalid_rule")},
    summary="Create a segment",
)
def segments_create(request: HttpRequest, response: HttpResponse, payload: SegmentIn) -> Any:
    actor = actor_of(request)
    try:
        segment = segment_create(actor=actor, data=payload.model_dump())
    except ValidationError as error:
        _refused(error)
    response["Location"] = f"/api/v1/segments/{segment.pk}"
    response["ETag"] = f'"{segment.version}"'
    return Status(201, _out(segment))


@router.get("/segments/{segment_id}", response={200: SegmentOut, **error_responses(404)})
def segments_read(request: HttpRequest, response: HttpResponse, segment_id: int) -> Any:
    segment = access_segment(actor_of(request), segment_id)
    response["ETag"] = f'"{segment.version}"'
    return _out(segment)


@router.patch(
    "/segments/{segment_id}",
    response={200: SegmentOut, **error_responses(403, 404, 409, 428, "invalid_rule")},
    summary="Change a segment",
    description="Partial. Send the version read, as ``version`` or ``If-Match``.",
)
def segments_patch(
    request: HttpRequest,
    response: HttpResponse,
    segment_id: int,
    payload: SegmentPatchIn,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Any:
    actor = actor_of(request)
    segment = access_segment(actor, segment_id, write=True)
    version = version_from(payload.version, if_match, required=True)
    data = {
        key: getattr(payload, key)
        for key in payload.model_fields_set
        if key != "version" and getattr(payload, key) is not None
    }
    try:
        updated = segment_update(actor=actor, segment=segment, data=data, version=version)
    except ValidationError as error:
        _refused(error)
    response["ETag"] = f'"{updated.version}"'
    return _out(updated)


@router.delete(
    "/segments/{segment_id}",
    response={204: None, **error_responses(403, 404, 409, 428)},
    summary="Delete a segment",
)
def segments_delete(
    request: HttpRequest,
    segment_id: int,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Any:
    actor = actor_of(request)
    segment = access_segment(actor, segment_id, write=True)
    segment_delete(
        actor=actor, segment=segment, version=version_from(None, if_match, required=True)
    )
    return Status(204, None)


def _usable(segment: Segment) -> None:
    if not segment.is_static:
        errors = rule_errors(segment.rule)
        if errors:
            raise ApiError(
                422, "invalid_rule", _("条件无效：") + "；".join(errors), errors={"rule": errors}
            )


@router.get(
    "/segments/{segment_id}/count",
    response={200: CountOut, **error_responses(404, "invalid_rule")},
    summary="How many customers you see are in the segment",
)
def segments_count(request: HttpRequest, segment_id: int) -> Any:
    actor = actor_of(request)
    segment = access_segment(actor, segment_id)
    _usable(segment)
    return {"id": segment.pk, "count": segment_count(actor, segment)}


@router.get(
    "/segments/{segment_id}/customers",
    response={200: MembersOut, **error_responses(404, "invalid_rule")},
    summary="The segment's customers (those you see), newest first",
)
def segments_customers(request: HttpRequest, segment_id: int, query: Query[PageQuery]) -> Any:
    actor = actor_of(request)
    segment = access_segment(actor, segment_id)
    _usable(segment)
    page = segment_page(actor, segment, query.page)
    return {
        "items": [_customer_out(customer, actor) for customer in page.items],
        "count": page.count,
        "page": page.page,
        "num_pages": page.num_pages,
    }


@router.post(
    "/segments/{segment_id}/members",
    response={200: MembersChangedOut, **error_responses(403, 404)},
    summary="Add customers to / remove them from a static list",
    description="Only a static list's owner (or an admin); 422 ``invalid`` for a rule segment.",
)
def segments_members(request: HttpRequest, segment_id: int, payload: MembersIn) -> Any:
    actor = actor_of(request)
    segment = access_segment(actor, segment_id, write=True)
    added = members_add(actor=actor, segment=segment, customer_ids=payload.add)
    removed = members_remove(actor=actor, segment=segment, customer_ids=payload.remove)
    return {"added": added, "removed": removed}


__all__ = ["router"]
