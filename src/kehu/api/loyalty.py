"""/api/v1: loyalty (会员与积分) — a customer's membership and ledger, grants and
deductions, redemptions. The same access helpers and services as the pages.

Errors: 404 ``not_found`` (a customer the token may not see), 403 ``forbidden`` (a
role that may not grant or redeem), 422 ``invalid`` (no reason, not enough points,
out of stock: nothing changed).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status as HttpStatus

from kehu.api.auth import actor_of
from kehu.api.customers import MAX_PAGE, MAX_PAGE_SIZE, customer_or_404
from kehu.api.errors import error_responses
from kehu.core.dates import ApiDateTime
from kehu.loyalty.access import access_loyalty_customer
from kehu.loyalty.models import EntryKind, Level, PointEntry
from kehu.loyalty.selectors import member_card, member_ledger, member_referrals
from kehu.loyalty.services import MAX_POINTS, MAX_QUANTITY, points_adjust, points_redeem

router = Router(tags=["loyalty"])

Kind = Literal["earn", "redeem", "grant", "deduct", "expire", "reverse"]
assert set(Kind.__args__) == set(EntryKind.values)  # type: ignore[attr-defined]


class LevelOut(Schema):
    id: int
    name: str
    discount_percent: str
    benefits: str


class EntryOut(Schema):
    id: int
    amount: int
    kind: Kind
    order_id: int | None
    reason: str
    redeemed_kind: str
    redeemed_ref: str
    at: ApiDateTime
    expires_at: ApiDateTime | None
    remaining: int


class ReferralOut(Schema):
    customer_id: int
    name: str
    rewarded: bool


class LoyaltyOut(Schema):
    is_member: bool
    level: LevelOut | None
    balance: int
    owed: int = Field(description="Refunded points that had been spent (欠分).")
    points_12m: int
    spend_12m: str
    referral_code: str | None
    referred_by_id: int | None
    referrals: list[ReferralOut]
    ledger: list[EntryOut]
    ledger_count: int
    page: int
    num_pages: int


class LedgerQuery(Schema):
    page: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 1
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 25


class PointsIn(Schema):
    points: Annotated[int, Field(ge=-MAX_POINTS, le=MAX_POINTS)] = Field(
        description="Positive grants, negative deducts (never below the balance)."
    )
    reason: Annotated[str, Field(max_length=200)]


class RedeemIn(Schema):
    kind: Annotated[str, Field(max_length=20)] = Field(
        "gift", description="What the points buy: ``gift`` (more kinds may be registered)."
    )
    item_id: Annotated[int, Field(ge=1, le=2**63 - 1)]
    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY)] = 1


def _level(level: Level | None) -> dict[str, Any] | None:
    if level is None:
        return None
    return {
        "id": level.pk,
        "name": level.name,
        "discount_percent": f"{level.discount_percent:.2f}",
        "benefits": level.benefits,
    }


def entry_out(entry: PointEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "amount": entry.amount,
        "kind": entry.kind,
        "order_id": entry.order_id,
        "reason": entry.reason,
        "redeemed_kind": entry.redeemed_kind,
        "redeemed_ref": entry.redeemed_ref,
        "at": entry.at,
        "expires_at": entry.expires_at,
        "remaining": entry.remaining,
    }


def loyalty_out(request: HttpRequest, customer_id: int, page: int, page_size: int) -> Any:
    actor = actor_of(request)
    customer = access_loyalty_customer(actor, customer_or_404(request, customer_id).pk)
    card = member_card(customer)
    ledger = member_ledger(customer, page=page, page_size=page_size)
    member = card.member
    return {
        "is_member": member is not None,
        "level": _level(card.level),
        "balance": card.balance,
        "owed": card.owed,
        "points_12m": member.points_12m if member else 0,
        "spend_12m": f"{member.spend_12m:.2f}" if member else "0.00",
        "referral_code": member.referral_code if member else None,
        "referred_by_id": member.referred_by_id if member else None,
        "referrals": [
            {
                "customer_id": m.customer_id,
                "name": m.customer.name,
                "rewarded": m.referral_rewarded_at is not None,
            }
            for m in member_referrals(actor, customer)
        ],
        "ledger": [entry_out(e) for e in ledger.items],
        "ledger_count": ledger.count,
        "page": ledger.page,
        "num_pages": ledger.num_pages,
    }


@router.get(
    "/customers/{customer_id}/loyalty",
    response={200: LoyaltyOut, **error_responses(404)},
    summary="A customer's membership: level, balance, owed points, ledger page, referrals",
    description="404 ``page_out_of_range`` for a ledger page past the last one.",
)
def customer_loyalty(request: HttpRequest, customer_id: int, query: Query[LedgerQuery]) -> Any:
    return loyalty_out(request, customer_id, query.page, query.page_size)


@router.post(
    "/customers/{customer_id}/points",
    response={201: EntryOut, **error_responses(403, 404)},
    summary="Grant (positive) or deduct (negative) points with a reason",
    description="Admins and managers (salespeople when the business allows it).",
)
def customer_points(request: HttpRequest, customer_id: int, payload: PointsIn) -> Any:
    actor = actor_of(request)
    customer = access_loyalty_customer(actor, customer_or_404(request, customer_id).pk)
    entry = points_adjust(
        actor=actor, customer=customer, points=payload.points, reason=payload.reason
    )
    return HttpStatus(201, entry_out(entry))


@router.post(
    "/customers/{customer_id}/redeem",
    response={201: EntryOut, **error_responses(403, 404)},
    summary="Spend points on a gift",
    description="422 ``invalid`` when the balance or the stock is short; nothing changes.",
)
def customer_redeem(request: HttpRequest, customer_id: int, payload: RedeemIn) -> Any:
    actor = actor_of(request)
    customer = access_loyalty_customer(actor, customer_or_404(request, customer_id).pk)
    entry = points_redeem(
        actor=actor,
        customer=customer,
        kind=payload.kind,
        item_id=payload.item_id,
        quantity=payload.quantity,
    )
    return HttpStatus(201, entry_out(entry))
