"""Points for orders: a batch of recorded orders earns in a few queries, a refund (or
a cancelled order) reverses what its order earned.

An order earns once (a unique earn per order; an order pushed again or changed does
not earn again), when it is a paid purchase. A reversal takes the order's own unspent
points first, then the balance's; what was already spent becomes points owed (欠分):
the net may go below zero only by what the refund takes back.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.events import CustomerEvent, CustomerEvents
from kehu.core.sql import datetime_adapter, values_in, values_insert
from kehu.loyalty import ledger
from kehu.loyalty.models import ZERO, EntryKind, PointEntry
from kehu.loyalty.rules import OrderFacts, order_points, rules_load
from kehu.orders.models import Order, OrderLine, OrderStatus, PaymentStatus

ENTRY_COLUMNS = (
    "customer_id",
    "amount",
    "kind",
    "order_id",
    "reason",
    "referred_id",
    "redeemed_kind",
    "redeemed_ref",
    "at",
    "expires_at",
    "remaining",
    "spend",
    "created_by_id",
)
EARNING = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)
NO_DAY = dt.date(1970, 1, 1)  # the order's day matters to birthday rules only
ORDER_FIELDS = (
    "id",
    "customer_id",
    "total",
    "refunded_total",
    "status",
    "payment_status",
    "channel",
    "ordered_at",
    "customer__birthday",
    "customer__birthday_is_lunar",
)


def orders_earn_event(event: CustomerEvents) -> None:
    order_ids = event.data.get("order_ids") or []
    if order_ids:
        orders_earn(order_ids=[int(pk) for pk in order_ids], actor_id=event.actor_id)


def orders_earn(*, order_ids: list[int], actor_id: int | None = None) -> int:
    """Earn the points of these orders (those that have not earned yet and are paid
    purchases); reverse those of orders since cancelled. Returns the entries written."""
    earns = PointEntry.objects.filter(order_id=OuterRef("pk"), kind=EntryKind.EARN)
    rows = list(
        Order.objects.filter(pk__in=values_in(order_ids, "int"))
        .annotate(earned=Exists(earns))
        .order_by()
        .values_list(*ORDER_FIELDS, "earned")
    )
    if not rows:
        return 0
    earned = {row[0] for row in rows if row[-1]}
    cancelled = [row[0] for row in rows if row[0] in earned and row[4] == OrderStatus.CANCELLED]
    for order_id in cancelled:
        order_points_reverse(order_id=order_id, actor_id=actor_id)
    due = [
        row
        for row in rows
        if row[0] not in earned and row[4] in EARNING and row[5] == PaymentStatus.PAID
    ]
    if not due:
        return len(cancelled)
    rules = rules_load()
    lines: dict[int, list[tuple[Decimal, int, str]]] = {}
    if rules.reads_lines:
        for order_id, amount, product_id, category in (
            OrderLine.objects.filter(order_id__in=values_in([r[0] for r in due], "int"))
            .order_by()
            .values_list("order_id", "amount", "product_id", "product__category")
        ):
            lines.setdefault(order_id, []).append((amount, product_id, category))
    now = timezone.now()
    expires = ledger.expiry_for(now)
    members = ledger.members_lock_many({row[1] for row in due}, now)
    levels = ledger.levels_all()
    adapt = datetime_adapter()
    at, expires_at = adapt(now), (adapt(expires) if expires else None)
    entries: list[tuple[Any, ...]] = []
    first_paid: list[int] = []
    for order_id, customer_id, total, refunded, _s, _p, channel, ordered_at, bday, lunar, _e in due:
        amount = total - refunded
        points = order_points(
            rules,
            OrderFacts(
                amount=amount,
                channel=channel,
                day=timezone.localdate(ordered_at) if rules.birthday else NO_DAY,
                birthday=bday,
                lunar_birthday=lunar,
                lines=tuple(lines.get(order_id, ())),
            ),
        )
        member = members[customer_id]
        if member.referred_by_id is not None and member.referral_rewarded_at is None:
            first_paid.append(customer_id)
        paid_back = ledger.net_apply(member, points)
        member.points_12m += points
        member.earned_total += points
        member.spend_12m += amount
        entries.append(
            (
                customer_id,
                points,
                EntryKind.EARN.value,
                order_id,
                "",
                None,
                "",
                "",
                at,
                expires_at,
                points - paid_back,
                amount,
                actor_id,
            )
        )
    values_insert(PointEntry, ENTRY_COLUMNS, entries)
    ledger.members_save(members.values(), now, levels)
    if first_paid:
        from kehu.loyalty.referrals import referral_rewards

        referral_rewards(referred_ids=first_paid, now=now, actor_id=actor_id)
    return len(entries) + len(cancelled)


def order_refund_event(event: CustomerEvent) -> None:
    order_points_reverse(order_id=int(event.data["order_id"]), actor_id=event.actor_id)


def order_points_reverse(*, order_id: int, actor_id: int | None = None) -> PointEntry | None:
    """Bring what the order earned in line with what is left of it: refunded in part,
    a share of its points; cancelled or refunded in full, all of them."""
    earn = PointEntry.objects.filter(order_id=order_id, kind=EntryKind.EARN).first()
    if earn is None or (earn.amount <= 0 and earn.spend <= 0):
        return None
    order = Order.objects.filter(pk=order_id).values("total", "refunded_total", "status").first()
    if order is None:
        return None
    member = ledger.member_lock(earn.customer_id)
    assert member is not None
    so_far = PointEntry.objects.filter(order_id=order_id).aggregate(
        points=Sum("amount"), spend=Sum("spend")
    )
    total, refunded = order["total"], order["refunded_total"]
    if order["status"] == OrderStatus.CANCELLED or total <= 0:
        keep_points, keep_spend = 0, ZERO
    else:
        share = min(refunded / total, Decimal(1))
        taken = (Decimal(earn.amount) * share).to_integral_value(rounding=ROUND_FLOOR)
        keep_points = earn.amount - int(taken)
        keep_spend = max(total - refunded, ZERO)
    points = int(so_far["points"] or 0) - keep_points
    spend = (so_far["spend"] or ZERO) - keep_spend
    if points <= 0 and spend <= 0:
        return None
    points = max(points, 0)
    taken_from_balance = ledger.points_take(member.customer_id, points, first_order_id=order_id)
    member.balance -= taken_from_balance
    member.owed += points - taken_from_balance
    member.points_12m -= points
    member.spend_12m -= max(spend, ZERO)
    now = timezone.now()
    entry = PointEntry.objects.create(
        customer_id=member.customer_id,
        amount=-points,
        kind=EntryKind.REVERSE,
        order_id=order_id,
        reason=_("订单退款冲回"),
        at=now,
        spend=-max(spend, ZERO),
        created_by_id=actor_id,
    )
    ledger.members_save([member], now)
    return entry
