"""/api/v1: a customer's contacts (联系人), with the access rules of their customer.

``GET/POST /customers/{id}/contacts``, ``PATCH/DELETE /contacts/{id}``. The same
services (``kehu.customers.contacts``) and access helpers as the customer page; a
change carries the version the client read (409 ``conflict`` when it is stale)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Header, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from kehu.accounts.models import User
from kehu.api.auth import actor_of
from kehu.api.customers import (
    MAX_ID,
    DbId,
    Storable,
    Text64,
    Text100,
    Text254,
    customer_or_404,
    version_from,
)
from kehu.api.errors import ApiError, error_responses
from kehu.customers.access import contact_data_hidden
from kehu.customers.contacts import (
    access_contact,
    contact_add,
    contact_delete,
    contact_update,
    contacts_of,
)
from kehu.customers.models import Contact

router = Router(tags=["contacts"])

Text32 = Annotated[str, Field(max_length=32), Storable]
Text500 = Annotated[str, Field(max_length=500), Storable]


class ContactOut(Schema):
    id: int
    customer_id: int
    name: str
    title: str
    phone: str = Field(description="E.164; empty when unknown.")
    email: str
    wechat_id: str
    is_primary: bool
    notes: str
    version: int = Field(description="Send it back with a change (optimistic locking).")
    created_at: dt.datetime
    updated_at: dt.datetime


class ContactListOut(Schema):
    items: list[ContactOut]
    contact_data_hidden: bool = Field(
        description="true: a public-pool customer whose contact data only its owner sees "
        "(claim it first); ``items`` is then empty."
    )


def _contact_out(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.pk,
        "customer_id": contact.customer_id,
        "name": contact.name,
        "title": contact.title,
        "phone": contact.phone,
        "email": contact.email,
        "wechat_id": contact.wechat_id,
        "is_primary": contact.is_primary,
        "notes": contact.notes,
        "version": contact.version,
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
    }


class ContactFields(Schema):
    model_config = ConfigDict(extra="forbid")

    title: Text100 | None = None
    phone: Text32 | None = Field(None, description="Any common form; stored as E.164.")
    email: Text254 | None = None
    wechat_id: Text64 | None = None
    is_primary: bool | None = Field(
        None, description="true makes it the primary contact (the previous one stops being it)."
    )
    notes: Text500 | None = None


class ContactCreateIn(ContactFields):
    name: Annotated[Text100, Field(min_length=1)]


class ContactPatchIn(ContactFields):
    name: Annotated[Text100, Field(min_length=1)] | None = None
    version: DbId | None = Field(
        None, description="The version the client read (or send the If-Match header)."
    )


def _data(payload: ContactFields) -> dict[str, Any]:
    return {key: getattr(payload, key) for key in payload.model_fields_set if key != "version"}


def _contact_or_404(actor: User, contact_id: int, *, write: bool = False) -> Contact:
    if not 1 <= contact_id <= MAX_ID:
        raise ApiError(404, "not_found", _("未找到。"))
    return access_contact(actor, contact_id, write=write)


@router.get(
    "/customers/{customer_id}/contacts",
    response={200: ContactListOut, **error_responses(404)},
    summary="List a customer's contacts",
    description="The primary contact first. A public-pool customer's contacts only once "
    "claimed, for salespeople (``contact_data_hidden``).",
)
def contacts_list(request: HttpRequest, customer_id: int) -> Any:
    actor = actor_of(request)
    customer = customer_or_404(request, customer_id)
    hidden = contact_data_hidden(actor, customer)
    items = [] if hidden else [_contact_out(c) for c in contacts_of(customer)]
    return {"items": items, "contact_data_hidden": hidden}


@router.post(
    "/customers/{customer_id}/contacts",
    response={201: ContactOut, **error_responses(403, 404)},
    summary="Add a contact to a customer",
    description="Whoever may change the customer. The phone is normalised like the "
    "customer's phones; the change is in the customer's history.",
)
def contacts_create(
    request: HttpRequest, response: HttpResponse, customer_id: int, payload: ContactCreateIn
) -> Any:
    actor = actor_of(request)
    customer = customer_or_404(request, customer_id, write=True)
    contact = contact_add(actor=actor, customer=customer, data=_data(payload))
    response["Location"] = f"/api/v1/contacts/{contact.pk}"
    response["ETag"] = f'"{contact.version}"'
    return Status(201, _contact_out(contact))


@router.patch(
    "/contacts/{contact_id}",
    response={200: ContactOut, **error_responses(403, 404, 409, 428)},
    summary="Change a contact",
    description=(
        "Partial: only the fields sent change. Send the version the client read, as "
        '``version`` or ``If-Match: "<version>"``: without it 428 ``version_required``; '
        "when someone saved since, 409 ``conflict`` and nothing is written."
    ),
)
def contacts_patch(
    request: HttpRequest,
    response: HttpResponse,
    contact_id: int,
    payload: ContactPatchIn,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Any:
    actor = actor_of(request)
    contact = _contact_or_404(actor, contact_id, write=True)
    version = version_from(payload.version, if_match, required=True)
    updated = contact_update(actor=actor, contact=contact, data=_data(payload), version=version)
    response["ETag"] = f'"{updated.version}"'
    return _contact_out(updated)


@router.delete(
    "/contacts/{contact_id}",
    response={204: None, **error_responses(403, 404, 409, 428)},
    summary="Remove a contact",
    description=(
        'Send the version the client read as ``If-Match: "<version>"``: without it 428 '
        "``version_required``; 409 ``conflict`` when the contact changed since."
    ),
)
def contacts_delete(
    request: HttpRequest,
    contact_id: int,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Any:
    actor = actor_of(request)
    contact = _contact_or_404(actor, contact_id, write=True)
    version = version_from(None, if_match, required=True)
    contact_delete(actor=actor, contact=contact, version=version)
    return Status(204, None)


__all__ = ["router"]
