"""Every write to members and points by a person: grants and deductions with a reason,
redemptions, a member made by hand, the programme's levels, rules and gifts.

Each locks the member's row first, so concurrent writes to one member queue; a refusal
(not enough points, out of stock, no reason) raises ``ValidationError`` and changes
nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.loyalty import ledger
from kehu.loyalty.access import can_grant, can_manage_programme, can_redeem
from kehu.loyalty.models import EntryKind, Member, PointEntry
from kehu.loyalty.redeemables import redeemable

MAX_POINTS = 10_000_000
MAX_QUANTITY = 1000


def _short(member: Member, points: int) -> ValidationError:
    return ValidationError(
        {
            "points": [
                _("积分不足：需要 %(need)d 分，余额 %(have)d 分。")
                % {"need": points, "have": member.balance}
            ]
        }
    )


@transaction.atomic
def member_create(*, actor: User, customer: Customer) -> Member:
    """Make the customer a member (a no-op when already one)."""
    if not can_redeem(actor, customer) and not can_grant(actor, customer):
        raise PermissionDenied
    member = ledger.member_lock(customer.pk, create=True)
    assert member is not None
    ledger.members_save([member], timezone.now())
    return member


@transaction.atomic
def points_adjust(*, actor: User, customer: Customer, points: int, reason: str) -> PointEntry:
    """Grant (``points`` > 0) or deduct (< 0) points by hand, with a reason."""
    if not can_grant(actor, customer):
        raise PermissionDenied
    text = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not text:
        errors["reason"] = [_("请填写原因。")]
    elif len(text) > 200:
        errors["reason"] = [_("原因最多 200 个字。")]
    if points == 0 or abs(points) > MAX_POINTS:
        errors["points"] = [_("积分须为非零整数，绝对值不超过 %(n)d。") % {"n": MAX_POINTS}]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    member = ledger.member_lock(customer.pk, create=points > 0)
    if member is None or (points < 0 and member.balance < -points):
        raise _short(member or Member(balance=0), -points)
    if points > 0:
        paid_back = ledger.net_apply(member, points)
        entry = PointEntry.objects.create(
            customer_id=customer.pk,
            amount=points,
            kind=EntryKind.GRANT,
            reason=text,
            at=now,
            expires_at=ledger.expiry_for(now),
            remaining=points - paid_back,
            created_by=actor,
        )
    else:
        taken = ledger.points_take(customer.pk, -points)
        assert taken == -points, "the balance is the sum of what is left"
        member.balance += points
        entry = PointEntry.objects.create(
            customer_id=customer.pk,
            amount=points,
            kind=EntryKind.DEDUCT,
            reason=text,
            at=now,
            created_by=actor,
        )
    ledger.members_save([member], now)
    return entry


@transaction.atomic
def points_redeem(
    *, actor: User, customer: Customer, kind: str, item_id: int, quantity: int = 1
) -> PointEntry:
    """Spend points on ``quantity`` of a redeemable item (a gift, a coupon)."""
    if not can_redeem(actor, customer):
        raise PermissionDenied
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationError({"quantity": [_("数量须在 1 到 %(n)d 之间。") % {"n": MAX_QUANTITY}]})
    kind_of = redeemable(kind)
    member = ledger.member_lock(customer.pk)
    points = kind_of.cost(item_id, quantity)
    if member is None or member.balance < points:
        raise _short(member or Member(balance=0), points)
    reference = kind_of.deliver(actor, customer, item_id, quantity)
    taken = ledger.points_take(customer.pk, points)
    assert taken == points, "the balance is the sum of what is left"
    member.balance -= points
    now = timezone.now()
    entry = PointEntry.objects.create(
        customer_id=customer.pk,
        amount=-points,
        kind=EntryKind.REDEEM,
        reason=_("兑换%(what)s ×%(n)d") % {"what": kind_of.label, "n": quantity},
        redeemed_kind=kind,
        redeemed_ref=reference,
        at=now,
        created_by=actor,
    )
    ledger.members_save([member], now)
    return entry


@transaction.atomic
def programme_save(
    *, actor: User, instance: Model, data: dict[str, Any], version: int | None = None
) -> Model:
    """Save a level, an earn rule or a gift (admins); ``version`` guards against a
    second editor's change being overwritten."""
    if not can_manage_programme(actor):
        raise PermissionDenied
    model = type(instance)
    if instance.pk is not None:
        current = model.objects.select_for_update().get(pk=instance.pk)  # type: ignore[attr-defined]
        if version is not None and current.version != version:
            raise ValidationError(_("该记录已被他人修改，请刷新后重试。"))
        data = {**data, "version": current.version + 1}
    for name, value in data.items():
        setattr(instance, name, value)
    instance.full_clean()
    instance.save()
    return instance
