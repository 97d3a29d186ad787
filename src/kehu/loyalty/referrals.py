"""Referrals (推荐): each member has a code; a customer who names it is linked to the
referrer, and the referrer is rewarded when that customer's first paid order is
recorded — once (a unique reward per referred customer).

A code of the customer itself, or one that would close a circle of referrals, is
refused with a message and nothing changes.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.events import CustomerEvent
from kehu.core.sql import values_in
from kehu.customers.models import Customer
from kehu.loyalty import ledger
from kehu.loyalty.models import EntryKind, Member, PointEntry

MAX_CHAIN = 10_000


def _refuse(message: str) -> ValidationError:
    return ValidationError({"referral_code": [message]})


def referrer_by_code(code: str) -> Member:
    clean = code.strip().upper()
    member = (
        Member.objects.filter(referral_code=clean, customer__deleted_at__isnull=True)
        .select_related("customer")
        .first()
    )
    if member is None:
        raise _refuse(_("推荐码 %(code)s 不存在。") % {"code": clean})
    return member


def referral_link(*, customer: Customer, code: str, actor_id: int | None = None) -> Member:
    """Link ``customer`` to the member whose referral code is ``code``. Raises
    ``ValidationError`` (field ``referral_code``) for an unknown code, the customer's
    own code, a circle, or a customer already referred."""
    referrer = referrer_by_code(code)
    if referrer.customer_id == customer.pk:
        raise _refuse(_("不能填写自己的推荐码。"))
    # Walk up from the referrer: meeting the customer would close a circle.
    seen: set[int] = set()
    current: int | None = referrer.customer_id
    while current is not None and current not in seen and len(seen) < MAX_CHAIN:
        if current == customer.pk:
            raise _refuse(
                _("推荐关系不能形成循环：%(name)s 已由该客户直接或间接推荐。")
                % {"name": referrer.customer.name}
            )
        seen.add(current)
        current = (
            Member.objects.filter(customer_id=current)
            .values_list("referred_by_id", flat=True)
            .first()
        )
    member = ledger.member_lock(customer.pk, create=True)
    assert member is not None
    if member.referred_by_id is not None:
        raise _refuse(_("该客户已有推荐人。"))
    Member.objects.filter(pk=member.pk).update(referred_by_id=referrer.customer_id)
    member.referred_by_id = referrer.customer_id
    return member


def customer_created_event(event: CustomerEvent) -> None:
    code = str(event.data.get("referral_code") or "").strip()
    if not code:
        return
    customer = Customer.objects.get(pk=event.customer_id)
    referral_link(customer=customer, code=code, actor_id=event.actor_id)


def referral_rewards(*, referred_ids: list[int], now: dt.datetime, actor_id: int | None) -> int:
    """Reward the referrers of ``referred_ids`` (members just locked by the caller,
    whose first paid order was recorded) once each."""
    points = int(settings.KEHU_LOYALTY_REFERRAL_POINTS)
    pairs = list(
        Member.objects.filter(
            customer_id__in=values_in(referred_ids, "int"),
            referred_by__isnull=False,
            referral_rewarded_at__isnull=True,
        ).values_list("customer_id", "referred_by_id")
    )
    if not pairs:
        return 0
    Member.objects.filter(customer_id__in=[c for c, _r in pairs]).update(referral_rewarded_at=now)
    if points <= 0:
        return 0
    members = ledger.members_lock_many({r for _c, r in pairs}, now)
    expires = ledger.expiry_for(now)
    entries = []
    for referred_id, referrer_id in pairs:
        member = members[referrer_id]
        paid_back = ledger.net_apply(member, points)
        entries.append(
            PointEntry(
                customer_id=referrer_id,
                amount=points,
                kind=EntryKind.GRANT,
                reason=_("推荐奖励"),
                referred_id=referred_id,
                at=now,
                expires_at=expires,
                remaining=points - paid_back,
                created_by_id=actor_id,
            )
        )
    PointEntry.objects.bulk_create(entries)
    ledger.members_save(members.values(), timezone.now())
    return len(entries)
