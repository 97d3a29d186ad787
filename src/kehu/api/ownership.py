"""/api/v1: who works on a customer (claim, release, transfer), duplicates and merges.

Refusals are 409 with a code that says why: ``taken``, ``already_yours``, ``blocked``,
``over_cap``, ``in_pool``, ``changed``, ``inactive_user``, ``bad_role``,
``other_team``, ``already_owner``; merges ``merge`` with ``details.reason``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from kehu.accounts.models import User
from kehu.api.auth import actor_of
from kehu.api.customers import (
    MAX_ID,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    CustomerOut,
    DbId,
    Storable,
    customer_or_404,
    detail_response,
)
from kehu.api.errors import ApiError, error_responses
from kehu.customers.duplicates import REASONS
from kehu.customers.merge import customer_merge, merge_undo
from kehu.customers.ownership import OwnershipError, customer_transfer, pool_claim, pool_release
from kehu.customers.selectors import PageOutOfRange, duplicate_pairs

router = Router(tags=["ownership and duplicates"])

Reason = Annotated[str, Field(min_length=1, max_length=500), Storable]


class ReasonIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: Reason


class TransferIn(Schema):
    model_config = ConfigDict(extra="forbid")
    to_user: DbId = Field(description="The new owner's user id.")
    reason: Reason
    move_tasks: bool = Field(
        True,
        description=(
            "The customer's open follow-up tasks go to the new owner too (those of the "
            "previous owner, and any whose assignee would no longer see the customer)."
        ),
    )


@router.post(
    "/customers/{customer_id}/claim",
    response={200: CustomerOut, **error_responses(403, 404, 409)},
    summary="Claim a customer from the public pool",
    description="Exactly one of several simultaneous claims wins; the others get 409 ``taken``.",
)
def customer_claim(request: HttpRequest, response: HttpResponse, customer_id: int) -> Any:
    actor = actor_of(request)
    if not 1 <= customer_id <= MAX_ID:
        raise ApiError(404, "not_found", _("未找到。"))
    customer = pool_claim(actor=actor, customer_id=customer_id)
    return detail_response(response, customer, actor)


@router.post(
    "/customers/{customer_id}/release",
    response={200: CustomerOut, **error_responses(403, 404, 409)},
    summary="Release a customer to the public pool, with a reason",
)
def customer_release(
    request: HttpRequest, response: HttpResponse, customer_id: int, payload: ReasonIn
) -> Any:
    actor = actor_of(request)
    customer = customer_or_404(request, customer_id, write=True)
    released = pool_release(actor=actor, customer=customer, reason=payload.reason)
    return detail_response(response, released, actor)


@router.post(
    "/customers/{customer_id}/transfer",
    response={200: CustomerOut, **error_responses(403, 404, 409)},
    summary="Give a customer to another user (managers and admins), with a reason",
)
def customer_transfer_one(
    request: HttpRequest, response: HttpResponse, customer_id: int, payload: TransferIn
) -> Any:
    actor = actor_of(request)
    customer = customer_or_404(request, customer_id)
    to_user = User.objects.filter(pk=payload.to_user).first()
    if to_user is None:
        raise ApiError(
            422, "invalid", _("没有这个用户。"), errors={"to_user": [_("没有这个用户。")]}
        )
    result = customer_transfer(
        actor=actor,
        customer_ids=[customer.pk],
        to_user=to_user,
        reason=payload.reason,
        move_tasks=payload.move_tasks,
    )
    if customer.pk in result.skipped:
        raise OwnershipError(
            _("该客户已由此人负责。"),
            details={"reason": result.skipped[customer.pk]},
        )
    customer.refresh_from_db()
    return detail_response(response, customer, actor)


# --- duplicates and merge ----------------------------------------------------------------


class CustomerBrief(Schema):
    id: int
    name: str
    type: str
    city: str
    owner: str | None


class DuplicatePairOut(Schema):
    id: int
    a: CustomerBrief
    b: CustomerBrief
    score: float
    reasons: list[str] = Field(description=", ".join(REASONS))


class DuplicatePageOut(Schema):
    items: list[DuplicatePairOut]
    count: int
    page: int
    page_size: int
    num_pages: int


class DuplicateQuery(Schema):
    page: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 1
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 25
    customer: DbId | None = Field(None, description="Only pairs with this customer.")


def _brief(customer: Any) -> dict[str, Any]:
    return {
        "id": customer.pk,
        "name": customer.name,
        "type": customer.kind,
        "city": customer.city,
        "owner": customer.owner.label if customer.owner else None,
    }


@router.get(
    "/duplicates",
    response={200: DuplicatePageOut, **error_responses(404)},
    summary="Likely duplicate pairs (from the last `kehu dedupe scan`) you may see both of",
)
def duplicates_list(request: HttpRequest, query: Query[DuplicateQuery]) -> Any:
    pairs = duplicate_pairs(actor_of(request), customer_id=query.customer)
    count = pairs.count()
    num_pages = max(1, -(-count // query.page_size))
    if query.page > num_pages:
        raise PageOutOfRange
    start = (query.page - 1) * query.page_size
    return {
        "items": [
            {
                "id": p.pk,
                "a": _brief(p.customer_a),
                "b": _brief(p.customer_b),
                "score": p.score,
                "reasons": p.reasons,
            }
            for p in pairs[start : start + query.page_size]
        ],
        "count": count,
        "page": query.page,
        "page_size": query.page_size,
        "num_pages": num_pages,
    }


class MergeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    other_id: DbId = Field(description="The customer merged into this one (it is then gone).")
    fields: dict[Annotated[str, Field(max_length=64)], Literal["self", "other"]] = Field(
        default_factory=dict,
        description=(
            "Per field, whose value wins: ``self`` (this customer) or ``other``. Fields not "
            "named keep this customer's value, or take the other's where this one is empty. "
            "Custom fields as ``custom:<key>``; the owner as ``owner``."
        ),
    )


class MergeOut(Schema):
    merge_id: int
    customer: CustomerOut


@router.post(
    "/customers/{customer_id}/merge",
    response={200: MergeOut, **error_responses(403, 404, 409)},
    summary="Merge another customer into this one",
    description=(
        "Contacts, phones, tags, history and everything later attached move here; the "
        "other customer is deleted with a record an admin can undo."
    ),
)
def customer_merge_endpoint(
    request: HttpRequest, response: HttpResponse, customer_id: int, payload: MergeIn
) -> Any:
    actor = actor_of(request)
    customer_or_404(request, customer_id, write=True)
    record = customer_merge(
        actor=actor, survivor_id=customer_id, other_id=payload.other_id, fields=payload.fields
    )
    return {
        "merge_id": record.pk,
        "customer": detail_response(response, record.survivor, actor),
    }


@router.post(
    "/merges/{merge_id}/undo",
    response={200: CustomerOut, **error_responses(403, 404, 409)},
    summary="Undo a merge (admins)",
)
def merge_undo_endpoint(request: HttpRequest, response: HttpResponse, merge_id: int) -> Any:
    actor = actor_of(request)
    if not 1 <= merge_id <= MAX_ID:
        raise ApiError(404, "not_found", _("未找到。"))
    record = merge_undo(actor=actor, merge_id=merge_id)
    return detail_response(response, record.survivor, actor)
