"""/api/v1: manual flags (人工标记) — their definitions (admins) and a customer's flags.

The lifecycle rules read a customer's flags by key (``{"fact": "flags", "op": "has",
"value": "key_account"}``); setting or clearing one re-evaluates the customer at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Header, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from kehu.api.auth import actor_of
from kehu.api.customers import Storable, customer_or_404, version_from
from kehu.api.errors import ApiError, error_responses, slug_or_404
from kehu.customers.models import Customer
from kehu.lifecycle.flags import access_flags_admin, flag_create, flag_update
from kehu.lifecycle.models import CustomerFlag, Flag
from kehu.lifecycle.services import flag_set

router = Router(tags=["lifecycle"])

Key = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[-a-zA-Z0-9_]+$")]
Name = Annotated[str, Field(min_length=1, max_length=50), Storable]
Color = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")]
Description = Annotated[str, Field(max_length=500), Storable]


class FlagOut(Schema):
    key: str
    name: str
    color: str
    description: str
    retired: bool = Field(description="Retired: nobody can set it; customers keep it.")
    version: int = Field(description="Send it back with a change (optimistic locking).")


class FlagIn(Schema):
    model_config = ConfigDict(extra="forbid")
    key: Key = Field(description="Fixed once created: what rules compare with ``has``.")
    name: Name
    color: Color = "#6c757d"
    description: Description = ""


class FlagPatch(Schema):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    color: Color | None = None
    description: Description | None = None
    retired: bool | None = None
    version: Annotated[int, Field(ge=1, le=2**31)] | None = Field(
        None, description="The version read (or send If-Match); without it 428."
    )


class CustomerFlagOut(Schema):
    key: str
    name: str
    retired: bool
    set_at: dt.datetime
    set_by: str | None


def _flag_out(flag: Flag) -> dict[str, Any]:
    return {
        "key": flag.key,
        "name": flag.name,
        "color": flag.color,
        "description": flag.description,
        "retired": flag.retired_at is not None,
        "version": flag.version,
    }


def _flag(key: str) -> Flag:
    flag = Flag.objects.filter(key=slug_or_404(key)).first()
    if flag is None:
        raise ApiError(404, "not_found", _("未找到。"))
    return flag


def _customer_flags(customer: Customer) -> list[dict[str, Any]]:
    rows = (
        CustomerFlag.objects.filter(customer=customer)
        .select_related("flag", "set_by")
        .order_by("flag__name", "flag_id")
    )
    return [
        {
            "key": row.flag.key,
            "name": row.flag.name,
            "retired": row.flag.retired_at is not None,
            "set_at": row.set_at,
            "set_by": row.set_by.label if row.set_by else None,
        }
        for row in rows
    ]


@router.get("/flags", response={200: list[FlagOut]}, summary="Manual flags (retired ones too)")
def flags_list(request: HttpRequest) -> Any:
    actor_of(request)
    return [_flag_out(flag) for flag in Flag.objects.order_by("name", "pk")]


@router.post(
    "/flags",
    response={201: FlagOut, **error_responses(403)},
    summary="Add a manual flag (admins)",
    description="A key or a live flag's name already taken: 422 ``invalid``.",
)
def flags_create(request: HttpRequest, payload: FlagIn) -> Any:
    actor = actor_of(request)
    access_flags_admin(actor)
    flag = flag_create(actor=actor, **payload.model_dump())
    return Status(201, _flag_out(flag))


@router.patch(
    "/flags/{key}",
    response={200: FlagOut, **error_responses(403, 404, 409, 428)},
    summary="Rename, recolour, retire or bring back a flag (admins; send the version read)",
)
def flags_patch(
    request: HttpRequest,
    response: HttpResponse,
    key: str,
    payload: FlagPatch,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Any:
    actor = actor_of(request)
    access_flags_admin(actor)
    flag = _flag(key)
    version = version_from(payload.version, if_match, required=True)
    assert version is not None
    data = payload.model_dump(exclude={"version"}, exclude_none=True)
    saved = flag_update(actor=actor, flag=flag, data=data, version=version)
    response["ETag"] = f'"{saved.version}"'
    return _flag_out(saved)


@router.get(
    "/customers/{customer_id}/flags",
    response={200: list[CustomerFlagOut], **error_responses(404)},
    summary="A customer's manual flags",
)
def customer_flags_list(request: HttpRequest, customer_id: int) -> Any:
    return _customer_flags(customer_or_404(request, customer_id))


@router.put(
    "/customers/{customer_id}/flags/{key}",
    response={200: list[CustomerFlagOut], **error_responses(403, 404)},
    summary="Set a flag on a customer (idempotent; a retired flag: 422)",
)
def customer_flag_set(request: HttpRequest, customer_id: int, key: str) -> Any:
    customer = customer_or_404(request, customer_id, write=True)
    flag_set(actor=actor_of(request), customer=customer, flag=_flag(key), on=True)
    return _customer_flags(customer)


@router.delete(
    "/customers/{customer_id}/flags/{key}",
    response={200: list[CustomerFlagOut], **error_responses(403, 404)},
    summary="Clear a flag on a customer (idempotent)",
)
def customer_flag_clear(request: HttpRequest, customer_id: int, key: str) -> Any:
    customer = customer_or_404(request, customer_id, write=True)
    flag_set(actor=actor_of(request), customer=customer, flag=_flag(key), on=False)
    return _customer_flags(customer)
