"""/api/v1/customers: the same selectors, access helpers and services as the pages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Min
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema
from ninja.responses import Status
from pydantic import AfterValidator, ConfigDict
from pydantic.json_schema import SkipJsonSchema

from kehu.accounts.models import User
from kehu.accounts.selectors import users_assignable_by
from kehu.api.auth import actor_of
from kehu.api.errors import ApiError, ErrorOut, error_responses
from kehu.core.dates import ApiBirthday
from kehu.customers.access import access_customer, contact_data_hidden
from kehu.customers.models import (
    CompanySize,
    Customer,
    CustomerKind,
    Gender,
    IncomeBand,
    SourceChannel,
)
from kehu.customers.selectors import SORTS, CustomerFilters, customer_detail, customer_list
from kehu.customers.services import (
    MAX_PHONES,
    MAX_TAGS,
    customer_create,
    customer_delete,
    customer_update,
)
from kehu.leads.models import Lead

router = Router(tags=["customers"])

MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000
MAX_ID = 2**63 - 1  # a database bigint: larger numbers are not ids of anything


def _storable(value: str) -> str:
    """Text the databases can store: no NUL (PostgreSQL refuses it), valid Unicode."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode") from None
    return value


Storable = AfterValidator(_storable)
Text32 = Annotated[str, Field(max_length=32), Storable]
Text50 = Annotated[str, Field(max_length=50), Storable]
Text64 = Annotated[str, Field(max_length=64), Storable]
Text100 = Annotated[str, Field(max_length=100), Storable]
Text200 = Annotated[str, Field(max_length=200), Storable]
Text254 = Annotated[str, Field(max_length=254), Storable]
Text255 = Annotated[str, Field(max_length=255), Storable]
Text5000 = Annotated[str, Field(max_length=5000), Storable]
PhoneText = Annotated[str, Field(max_length=32), Storable]
DbId = Annotated[int, Field(ge=1, le=MAX_ID)]
CustomValue = Annotated[str, Field(max_length=500), Storable] | int | float | bool | None
SortKey = Literal["-id", "id", "name", "-name", "-updated", "updated"]
assert set(SortKey.__args__) == set(SORTS)  # type: ignore[attr-defined]


# --- output -------------------------------------------------------------------------


class UserRef(Schema):
    id: int
    username: str
    name: str


class TeamRef(Schema):
    id: int
    name: str


class CustomerOut(Schema):
    id: int
    name: str
    type: CustomerKind
    phone: str | None = Field(description="The primary number, E.164; null without phones.")
    phones: list[str]
    email: str
    wechat_id: str
    province: str
    city: str
    district: str
    address: str
    industry: str
    company_size: CompanySize
    source_channel: SourceChannel
    gender: Gender
    birthday: dt.date | None
    birthday_is_lunar: bool
    income_band: IncomeBand
    interests: str
    notes: str
    source: str = Field(description="Another system this customer comes from (with external_id).")
    external_id: str
    owner: UserRef | None = Field(description="null: the customer is in the public pool.")
    team: TeamRef | None
    tags: list[str]
    custom_fields: dict[str, Any]
    version: int = Field(description="Send it back with a change (optimistic locking).")
    created_at: dt.datetime
    updated_at: dt.datetime
    lead_id: int | None = Field(None, description="The lead this customer was converted from.")


class CustomerPageOut(Schema):
    items: list[CustomerOut]
    count: int
    count_is_capped: bool = Field(description="true: a search matched at least ``count``.")
    page: int
    page_size: int
    num_pages: int


def lead_ids_of(customer_ids: list[int]) -> dict[int, int]:
    """Customer id → the id of the (first) lead it was converted from, one query."""
    if not customer_ids:
        return {}
    rows = (
        Lead.objects.filter(customer_id__in=customer_ids)
        .values("customer_id")
        .annotate(first=Min("pk"))
        .values_list("customer_id", "first")
    )
    return {customer_id: lead_id for customer_id, lead_id in rows if customer_id is not None}


def _customer_out(customer: Customer, actor: User, lead_id: int | None = None) -> dict[str, Any]:
    hidden = contact_data_hidden(actor, customer)
    phones = [] if hidden else [p.number for p in customer.phones.all()]
    owner = customer.owner
    team = customer.team
    return {
        "id": customer.pk,
        "name": customer.name,
        "type": customer.kind,
        "phone": phones[0] if phones else None,
        "phones": phones,
        "email": "" if hidden else customer.email,
        "wechat_id": "" if hidden else customer.wechat_id,
        "province": customer.province,
        "city": customer.city,
        "district": customer.district,
        "address": "" if hidden else customer.address,
        "industry": customer.industry,
        "company_size": customer.company_size,
        "source_channel": customer.source_channel,
        "gender": customer.gender,
        "birthday": customer.birthday,
        "birthday_is_lunar": customer.birthday_is_lunar,
        "income_band": customer.income_band,
        "interests": customer.interests,
        "notes": customer.notes,
        "source": customer.source,
        "external_id": customer.external_id,
        "owner": (
            {"id": owner.pk, "username": owner.username, "name": owner.label} if owner else None
        ),
        "team": {"id": team.pk, "name": team.name} if team else None,
        "tags": [t.name for t in customer.tags.all()],
        "custom_fields": customer.custom_fields or {},
        "version": customer.version,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
        "lead_id": lead_id,
    }


def detail_response(response: HttpResponse, customer: Customer, actor: User) -> dict[str, Any]:
    loaded = customer_detail(customer)
    response["ETag"] = f'"{loaded.version}"'
    return _customer_out(loaded, actor, lead_ids_of([loaded.pk]).get(loaded.pk))


# --- input --------------------------------------------------------------------------


class CustomerFields(Schema):
    """Fields a client may write. ``type`` is the model's ``kind``."""

    model_config = ConfigDict(extra="forbid")

    email: Text254 | None = None
    wechat_id: Text64 | None = None
    province: Text32 | None = None
    city: Text32 | None = None
    district: Text32 | None = None
    address: Text255 | None = None
    industry: Text64 | None = None
    company_size: CompanySize | None = None
    source_channel: SourceChannel | None = None
    gender: Gender | None = None
    birthday: ApiBirthday | None = Field(None, description="YYYY-MM-DD, 1900-01-01 to today.")
    birthday_is_lunar: bool | None = None
    income_band: IncomeBand | None = None
    interests: Text255 | None = None
    notes: Text5000 | None = None
    source: Text32 | None = None
    external_id: Text64 | None = Field(
        None, description="The customer's id in ``source``; unique per source."
    )
    phones: list[PhoneText] | None = Field(
        None, max_length=MAX_PHONES, description="The first is the primary number."
    )
    tags: list[Text50] | None = Field(None, max_length=MAX_TAGS, description="Tag names.")
    custom_fields: dict[Text50, CustomValue] | None = None
    owner: DbId | None = Field(
        None, description="A user id; null puts the customer in the public pool."
    )


class CustomerCreateIn(CustomerFields):
    name: Text200
    type: CustomerKind = CustomerKind.PERSON
    allow_duplicate: bool = Field(
        False,
        description=(
            "Create even though it looks like an existing customer (409 ``duplicate`` "
            "otherwise, with the candidates in ``details``). Salespeople may not re-create "
            "a customer someone else owns or that is in the pool."
        ),
    )
    referral_code: str = Field(
        "",
        max_length=12,
        description=(
            "A member's referral code (推荐码): the new customer is linked to that member, "
            "who is rewarded on the customer's first paid order. 422 for an unknown code."
        ),
    )


class CustomerPatchIn(CustomerFields):
    name: Text200 | None = None
    type: CustomerKind | None = None
    version: DbId | None = Field(
        None, description="The version the client read (or send the If-Match header)."
    )


_NOT_DATA = {
    "phones",
    "tags",
    "custom_fields",
    "owner",
    "version",
    "type",
    "allow_duplicate",
    "referral_code",
}


def _model_data(payload: CustomerFields) -> dict[str, Any]:
    """The given model fields, as the services take them (``type`` → ``kind``)."""
    given = payload.model_fields_set
    data = {key: getattr(payload, key) for key in given if key not in _NOT_DATA}
    if "type" in given:
        data["kind"] = getattr(payload, "type", None)
    return data


def _owner_argument(actor: User, payload: CustomerFields) -> dict[str, Any]:
    """``owner=`` for the services when the payload names one (null: the public pool)."""
    if "owner" not in payload.model_fields_set:
        return {}
    if payload.owner is None:
        return {"owner": None}
    owner = users_assignable_by(actor).filter(pk=payload.owner).first()
    if owner is None:
        raise ValidationError({"owner": _("不能把客户分配给该用户。")})
    return {"owner": owner}


_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d{1,18})"?\s*$')


def version_from(body_version: int | None, if_match: str | None, *, required: bool) -> int | None:
    header_version = None
    if if_match is not None:
        match = _IF_MATCH.match(if_match)
        if match is None:
            raise ValidationError({"If-Match": _('If-Match 应为客户的版本号，例如 "3"。')})
        header_version = int(match.group(1))
    if body_version is not None and header_version not in (None, body_version):
        raise ValidationError({"version": _("version 与 If-Match 不一致。")})
    version = body_version if body_version is not None else header_version
    if version is None and required:
        raise ApiError(
            428,
            "version_required",
            _("请提供您读取时的版本号（version 字段或 If-Match 请求头），以免覆盖他人的修改。"),
        )
    return version


# --- endpoints ----------------------------------------------------------------------


class CustomerQuery(Schema):
    q: Annotated[str, Field(max_length=100), Storable] = Field(
        "",
        description="Name, pinyin (zhangsan, zs), phone (or its last 4+ digits), e-mail or "
        "WeChat id (or its start). Where you may not see a customer's contact data (a pool "
        "customer, for a salesperson) only the complete number, e-mail or WeChat id finds it.",
    )
    page: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 1
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 25
    # Absent means "any"; a query string has no null, so the schema shows none.
    owner: DbId | SkipJsonSchema[None] = Field(None, description="An owner's user id.")
    pool: bool = Field(False, description="Only customers in the public pool.")
    team: DbId | SkipJsonSchema[None] = None
    tag: DbId | SkipJsonSchema[None] = Field(None, description="A tag id.")
    province: Text32 = ""
    city: Text32 = ""
    source: SourceChannel | SkipJsonSchema[None] = None
    type: CustomerKind | SkipJsonSchema[None] = None
    sort: SortKey = "-id"


@router.get(
    "",
    response={200: CustomerPageOut, **error_responses(404)},
    summary="List and search customers",
    description="404 ``page_out_of_range`` for a page past the last one.",
)
def customers_list(request: HttpRequest, query: Query[CustomerQuery]) -> Any:
    filters = CustomerFilters(
        q=query.q,
        owner=query.owner,
        pool=query.pool,
        team=query.team,
        tag=query.tag,
        province=query.province.strip(),
        city=query.city.strip(),
        source=query.source or "",
        kind=query.type or "",
        sort=query.sort,
    )
    actor = actor_of(request)
    page = customer_list(actor, filters, page=query.page, page_size=query.page_size)
    leads = lead_ids_of([c.pk for c in page.items])
    return {
        "items": [_customer_out(c, actor, leads.get(c.pk)) for c in page.items],
        "count": page.count,
        "count_is_capped": page.count_is_capped,
        "page": page.page,
        "page_size": page.page_size,
        "num_pages": page.num_pages,
    }


@router.post(
    "",
    response={201: CustomerOut, **error_responses(403, "duplicate")},
    summary="Create a customer",
    description=(
        "409 ``duplicate`` when it looks like an existing customer: ``details.candidates`` "
        "lists them (a customer you may not see only with a masked name, owner and team) "
        "and ``details.can_override`` says whether ``allow_duplicate`` may create it anyway."
    ),
)
def customers_create(
    request: HttpRequest,
    response: HttpResponse,
    payload: CustomerCreateIn,
    allow_duplicate: bool = False,
) -> Any:
    actor = actor_of(request)
    customer = customer_create(
        actor=actor,
        data=_model_data(payload),
        phones=payload.phones or (),
        tags=payload.tags or (),
        custom_fields=payload.custom_fields,
        allow_duplicate=allow_duplicate or payload.allow_duplicate,
        referral_code=payload.referral_code,
        **_owner_argument(actor, payload),
    )
    response["Location"] = f"{request.path.rstrip('/')}/{customer.pk}"
    return Status(201, detail_response(response, customer, actor))


def customer_or_404(request: HttpRequest, customer_id: int, *, write: bool = False) -> Customer:
    if not 1 <= customer_id <= MAX_ID:
        raise ApiError(404, "not_found", _("未找到。"))
    return access_customer(actor_of(request), customer_id, write=write)


@router.get(
    "/{customer_id}",
    response={200: CustomerOut, **error_responses(404)},
    summary="Read a customer",
    description="The ``ETag`` header carries the version to send back with a change.",
)
def customers_read(request: HttpRequest, response: HttpResponse, customer_id: int) -> Any:
    return detail_response(response, customer_or_404(request, customer_id), actor_of(request))


@router.patch(
    "/{customer_id}",
    response={200: CustomerOut, **error_responses(403, 404, 409, 428)},
    summary="Change a customer",
    description=(
        "Partial: only the fields sent change. Send the version the client read, as "
        '``version`` or ``If-Match: "<version>"``: without it 428 ``version_required``; '
        "when someone saved since, 409 ``conflict`` and nothing is written."
    ),
)
def customers_patch(
    request: HttpRequest,
    response: HttpResponse,
    customer_id: int,
    payload: CustomerPatchIn,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Any:
    actor = actor_of(request)
    customer = customer_or_404(request, customer_id, write=True)
    version = version_from(payload.version, if_match, required=True)
    assert version is not None
    given = payload.model_fields_set
    phones = (payload.phones or []) if "phones" in given else None
    tags = (payload.tags or []) if "tags" in given else None
    updated = customer_update(
        actor=actor,
        customer=customer,
        version=version,
        data=_model_data(payload),
        phones=phones,
        tags=tags,
        custom_fields=payload.custom_fields,
        **_owner_argument(actor, payload),
    )
    return detail_response(response, updated, actor)


@router.delete(
    "/{customer_id}",
    response={204: None, **error_responses(403, 404, 409)},
    summary="Delete a customer",
    description=(
        "Soft delete (an admin can restore it). With ``If-Match``, 409 ``conflict`` "
        "when the customer changed since that version."
    ),
)
def customers_delete(
    request: HttpRequest,
    customer_id: int,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Any:
    customer = customer_or_404(request, customer_id, write=True)
    version = version_from(None, if_match, required=False)
    customer_delete(actor=actor_of(request), customer=customer, version=version)
    return Status(204, None)


__all__ = ["ErrorOut", "router"]
