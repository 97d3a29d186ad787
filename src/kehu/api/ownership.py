"""/api/v1: who works on a customer (claim, release, transfer), duplicates and merges.

Refusals are 409 with a code that says why: ``taken``, ``already_yours``, ``blocked``,
``over_cap``, ``in_pool``, ``changed``, ``inactive_user``, ``bad_role``,
``other_team``, ``already_owner``; merges ``merge`` with ``details.reason``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema
from pydantic import ConfigDict

from kehu.accounts.models import User
from kehu.accounts.selectors import access_user
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
    version_from,
)
from kehu.api.errors import ApiError, error_responses
from kehu.customers.access import can_edit_pool_policy, can_reassign, can_view_pool_policy
from kehu.customers.duplicates import REASONS
from kehu.customers.merge import customer_merge, merge_undo
from kehu.customers.models import PoolPolicy
from kehu.customers.ownership import (
    OwnershipError,
    customer_transfer,
    pool_claim,
    pool_policy,
    pool_release,
    user_customers_transfer,
)
from kehu.customers.pool_policy import MAX_BLOCK_DAYS, MAX_CAP, MAX_DAYS, pool_policy_update
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
    response={
        200: CustomerOut,
        **error_responses(403, 404, "ownership", "taken", "already_yours", "blocked", "over_cap"),
    },
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
    response={200: CustomerOut, **error_responses(403, 404, "ownership", "in_pool", "changed")},
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
    response={
        200: CustomerOut,
        **error_responses(
            403, 404, "ownership", "inactive_user", "bad_role", "other_team", "already_owner"
        ),
    },
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
    if result.skipped.get(customer.pk) == "not_found":  # gone meanwhile: as any missing id
        raise ApiError(404, "not_found", _("未找到。"))
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
    response={200: MergeOut, **error_responses(403, 404, "merge")},
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
    response={200: CustomerOut, **error_responses(403, 404, "merge")},
    summary="Undo a merge (admins)",
)
def merge_undo_endpoint(request: HttpRequest, response: HttpResponse, merge_id: int) -> Any:
    actor = actor_of(request)
    if not 1 <= merge_id <= MAX_ID:
        raise ApiError(404, "not_found", _("未找到。"))
    record = merge_undo(actor=actor, merge_id=merge_id)
    return detail_response(response, record.survivor, actor)


# --- a departing user's customers ------------------------------------------------------------


class TransferResultOut(Schema):
    moved: list[int] = Field(description="Ids of the customers that changed owner.")
    skipped: dict[str, str] = Field(
        description="Customer id → why not (``not_found``, ``already_owner``)."
    )


@router.post(
    "/users/{user_id}/customers/transfer",
    response={
        200: TransferResultOut,
        **error_responses(
            403, 404, "ownership", "inactive_user", "bad_role", "other_team", "already_owner"
        ),
    },
    summary="Give every customer of a user (leaving, changing teams) to another user",
    description=(
        "Managers and admins; a manager moves the team's customers to a team member. "
        "Every change is recorded with the reason. A user you may not see answers 404."
    ),
)
def user_customers_transfer_endpoint(
    request: HttpRequest, user_id: int, payload: TransferIn
) -> Any:
    actor = actor_of(request)
    if not 1 <= user_id <= MAX_ID:
        raise ApiError(404, "not_found", _("未找到。"))
    from_user = access_user(actor, user_id)
    if not can_reassign(actor):
        raise PermissionDenied
    to_user = User.objects.filter(pk=payload.to_user).first()
    if to_user is None:
        raise ApiError(
            422, "invalid", _("没有这个用户。"), errors={"to_user": [_("没有这个用户。")]}
        )
    result = user_customers_transfer(
        actor=actor, from_user=from_user, to_user=to_user, reason=payload.reason
    )
    return {"moved": result.moved, "skipped": {str(k): v for k, v in result.skipped.items()}}


# --- the pool's rules (公海规则) ----------------------------------------------------------------

Days = Annotated[int, Field(ge=1, le=MAX_DAYS)]


class PoolPolicyOut(Schema):
    followup_days: int = Field(description="No follow-up for this many days: back to the pool.")
    deal_days: int = Field(description="No deal this many days after the claim: back to the pool.")
    notice_days: int = Field(description="The owner is told this many days before.")
    reclaim_block_days: int = Field(description="Who released a customer may not claim it back.")
    cap_sales: int
    cap_manager: int
    cap_admin: int
    enabled: bool = Field(description="false: nothing returns to the pool by itself.")
    version: int = Field(description="Send it back with a change (optimistic locking).")
    updated_at: dt.datetime


class PoolPolicyPatch(Schema):
    model_config = ConfigDict(extra="forbid")
    followup_days: Days | None = None
    deal_days: Days | None = None
    notice_days: Annotated[int, Field(ge=0, le=MAX_DAYS)] | None = None
    reclaim_block_days: Annotated[int, Field(ge=0, le=MAX_BLOCK_DAYS)] | None = None
    cap_sales: Annotated[int, Field(ge=0, le=MAX_CAP)] | None = None
    cap_manager: Annotated[int, Field(ge=0, le=MAX_CAP)] | None = None
    cap_admin: Annotated[int, Field(ge=0, le=MAX_CAP)] | None = None
    enabled: bool | None = None
    version: Annotated[int, Field(ge=1, le=2**31)] | None = Field(
        None, description="The version read (or send If-Match); without it 428."
    )


def _policy_out(response: HttpResponse, policy: PoolPolicy) -> PoolPolicy:
    response["ETag"] = f'"{policy.version}"'
    return policy


@router.get(
    "/pool/policy",
    response={200: PoolPolicyOut, **error_responses(403)},
    summary="The public pool's rules: caps, reclaim days, notice days, re-claim block",
    description="Salespeople, managers and admins read them; the service team and analysts 403.",
)
def pool_policy_read(request: HttpRequest, response: HttpResponse) -> Any:
    if not can_view_pool_policy(actor_of(request)):
        raise PermissionDenied
    return _policy_out(response, pool_policy())


@router.patch(
    "/pool/policy",
    response={200: PoolPolicyOut, **error_responses(403, 409, 428)},
    summary="Change the public pool's rules (admins; send the version you read)",
    description=(
        "Only the fields sent change. ``notice_days`` must stay below both reclaim periods "
        "(422 ``invalid``); a stale version answers 409 ``conflict`` and changes nothing."
    ),
)
def pool_policy_patch(
    request: HttpRequest,
    response: HttpResponse,
    payload: PoolPolicyPatch,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Any:
    actor = actor_of(request)
    if not can_edit_pool_policy(actor):
        raise PermissionDenied
    version = version_from(payload.version, if_match, required=True)
    assert version is not None
    data = payload.model_dump(exclude={"version"}, exclude_none=True)
    return _policy_out(response, pool_policy_update(actor=actor, data=data, version=version))
