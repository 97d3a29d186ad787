"""Who works on a customer: the public pool (公海), claims, releases, transfers and
the reclaim rules (客户经理制: one owner per customer).

Every write here is a service: keyword-only, the actor passed in, atomic, with an
``OwnerChange`` row. Claims are conditional updates — of two people claiming the
same customer at the same moment exactly one wins; the other is told it is gone.

Each change emits ``owner_changed`` (``kehu.core.events``) in its transaction: the
follow-up tasks follow their customer there (a transfer moves the open tasks to the
new owner unless told not to; a claim always does).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import DateTimeField, F, Q, QuerySet, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import Role, User
from kehu.core.errors import KehuError
from kehu.core.events import emit_many
from kehu.customers import texts
from kehu.customers.access import can_reassign, visibility_q
from kehu.customers.models import (
    Customer,
    OwnerChange,
    OwnerChangeKind,
    PoolBlock,
    PoolNotice,
    PoolPolicy,
)

MAX_REASON = 500
JUST_CLAIMED = dt.timedelta(minutes=10)


class OwnershipError(KehuError):
    """Refused claim, release or transfer; ``code`` says why (the API's error code):
    ``taken``, ``already_yours``, ``blocked``, ``over_cap``, ``in_pool``, ``changed``,
    ``inactive_user``, ``bad_role``, ``other_team``, ``reason_required``."""

    code = "ownership"
    status = 409

    def __init__(self, message: str, *, details: dict[str, Any] | None = None):
        super().__init__(message, details=details)
        self.code = str(self.details.get("reason", "ownership"))


def pool_policy() -> PoolPolicy:
    policy = PoolPolicy.objects.order_by("pk").first()
    return policy if policy is not None else PoolPolicy.objects.create()


def ownership_cap(user: User, policy: PoolPolicy | None = None) -> int:
    policy = policy or pool_policy()
    if user.is_admin_role:
        return policy.cap_admin
    if user.role == Role.MANAGER:
        return policy.cap_manager
    if user.role == Role.SALES:
        return policy.cap_sales
    return 0


def owned_count(user: User) -> int:
    return Customer.objects.alive().filter(owner=user).count()


def _reason(reason: str, *, required: bool) -> str:
    text = (reason or "").strip()
    if required and not text:
        raise ValidationError({"reason": _("请填写原因。")})
    if len(text) > MAX_REASON:
        raise ValidationError({"reason": _("原因最多 %(n)d 个字符。") % {"n": MAX_REASON}})
    return text


def _record(
    customer_id: int,
    kind: str,
    *,
    actor: User | None,
    from_user_id: int | None,
    to_user_id: int | None,
    reason: str = "",
    at: dt.datetime | None = None,
    message: str = "",
    params: dict[str, Any] | None = None,
) -> OwnerChange:
    """An owner change, with the reason a person typed, or (the system's) a message
    code and its facts (``kehu.customers.texts``)."""
    return OwnerChange.objects.create(
        customer_id=customer_id,
        kind=kind,
        actor=actor,
        from_user_id=from_user_id,
        to_user_id=to_user_id,
        reason=reason,
        message=message,
        params=params,
        at=at or timezone.now(),
    )


def _changed(
    previous: dict[int, int | None],
    *,
    actor: User | None,
    to_user_id: int | None,
    move_tasks: bool = True,
) -> None:
    """Tell the apps above (``owner_changed``): ``previous`` maps each customer that
    changed hands to its owner before."""
    emit_many(
        "owner_changed",
        previous,
        actor_id=actor.pk if actor else None,
        data={
            "to_user_id": to_user_id,
            "previous_owner_ids": previous,
            "move_tasks": move_tasks,
        },
    )


# --- the pool's mechanism, for any record with an owner ----------------------------------
# Customers here; leads (``kehu.leads``) claim, release and reclaim through the same
# three pieces: the conditional UPDATE, the per-person serialisation that keeps a cap
# under concurrency, and "idle since the later of the claim and the last touch".


def claims_serialise(actor: User) -> None:
    """Serialise one person's claims (until the transaction ends) so a cap holds when
    they claim several records at once."""
    User.objects.select_for_update().filter(pk=actor.pk).first()


def pool_take(rows: QuerySet[Any], pk: int, *, actor: User, now: dt.datetime) -> bool:
    """The claim itself: one conditional UPDATE of a record of ``rows`` (a model with
    ``owner``, ``team``, ``claimed_at``, ``deleted_at``, ``version``, ``updated_at``,
    ``updated_by``) that changes it only while nobody owns it. Of racing claims exactly
    one changes a row; False: someone else was first."""
    return bool(
        rows.filter(pk=pk, owner__isnull=True, deleted_at__isnull=True).update(
            owner=actor,
            team_id=actor.team_id,
            claimed_at=now,
            version=F("version") + 1,
            updated_at=now,
            updated_by=actor,
        )
    )


def idle_since(last_touch: Combinable) -> Greatest:
    """When the owner last worked on the record: the later of its claim (or creation)
    and ``last_touch`` (a field or expression; NULL: never touched)."""
    return _later_of(last_touch)


# --- claim and release -------------------------------------------------------------------


@transaction.atomic
def pool_claim(*, actor: User, customer_id: int) -> Customer:
    """Take a customer from the pool. Exactly one of several racing claims wins."""
    if not actor.is_active or actor.role not in (Role.SALES, Role.MANAGER, Role.ADMIN):
        raise PermissionDenied
    customer = Customer.objects.alive().filter(visibility_q(actor)).filter(pk=customer_id).first()
    if customer is None:
        if OwnerChange.objects.filter(
            customer_id=customer_id,
            kind=OwnerChangeKind.CLAIM,
            at__gte=timezone.now() - JUST_CLAIMED,
            customer__deleted_at__isnull=True,
        ).exists():
            # Someone claimed it a moment ago (it was in the pool, so the actor saw it):
            # say so rather than "not found".
            raise OwnershipError(_("该客户刚刚被他人领取。"), details={"reason": "taken"})
        raise Http404
    if customer.owner_id == actor.pk:
        raise OwnershipError(_("该客户已经是您的客户。"), details={"reason": "already_yours"})
    if customer.owner_id is not None:
        raise OwnershipError(_("该客户已被他人领取。"), details={"reason": "taken"})
    now = timezone.now()
    block = PoolBlock.objects.filter(customer=customer, user=actor, until__gt=now).first()
    if block is not None:
        raise OwnershipError(
            _("您退回该客户后 %(date)s 前不能重新领取。")
            % {"date": timezone.localtime(block.until).strftime("%Y-%m-%d %H:%M")},
            details={"reason": "blocked", "until": block.until.isoformat()},
        )
    claims_serialise(actor)
    cap = ownership_cap(actor)
    if owned_count(actor) >= cap:
        raise OwnershipError(
            _("您名下已有 %(cap)d 个客户，达到上限，不能再领取。") % {"cap": cap},
            details={"reason": "over_cap", "cap": cap},
        )
    if not pool_take(Customer.objects.all(), customer.pk, actor=actor, now=now):
        raise OwnershipError(_("该客户刚刚被他人领取。"), details={"reason": "taken"})
    _record(
        customer.pk,
        OwnerChangeKind.CLAIM,
        actor=actor,
        from_user_id=None,
        to_user_id=actor.pk,
        at=now,
    )
    _changed({customer.pk: None}, actor=actor, to_user_id=actor.pk)
    customer.refresh_from_db()
    return customer


@transaction.atomic
def pool_release(*, actor: User, customer: Customer, reason: str) -> Customer:
    """Give a customer back to the pool, with a reason; the releaser is blocked
    from claiming it again for the policy's number of days."""
    text = _reason(reason, required=True)
    if customer.owner_id is None:
        raise OwnershipError(_("该客户已在公海中。"), details={"reason": "in_pool"})
    if customer.owner_id != actor.pk and not can_reassign(actor):
        raise PermissionDenied
    now = timezone.now()
    previous = customer.owner_id
    done = Customer.objects.filter(pk=customer.pk, owner_id=previous).update(
        owner=None,
        team=None,
        claimed_at=None,
        version=F("version") + 1,
        updated_at=now,
        updated_by=actor,
    )
    if not done:
        raise OwnershipError(
            _("该客户的负责人刚刚发生了变化，请刷新后重试。"), details={"reason": "changed"}
        )
    policy = pool_policy()
    if previous is not None:
        PoolBlock.objects.update_or_create(
            customer=customer,
            user_id=previous,
            defaults={"until": now + dt.timedelta(days=policy.reclaim_block_days)},
        )
    _record(
        customer.pk,
        OwnerChangeKind.RELEASE,
        actor=actor,
        from_user_id=previous,
        to_user_id=None,
        reason=text,
        at=now,
    )
    _changed({customer.pk: previous}, actor=actor, to_user_id=None)
    customer.refresh_from_db()
    return customer


# --- transfer ----------------------------------------------------------------------------


@dataclass
class TransferResult:
    moved: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)


@transaction.atomic
def customer_transfer(
    *,
    actor: User,
    customer_ids: Iterable[int],
    to_user: User,
    reason: str,
    move_tasks: bool = True,
) -> TransferResult:
    """Reassign customers (one or many) to ``to_user``; managers within their team.
    ``move_tasks``: their open follow-up tasks go to ``to_user`` as well (those of the
    previous owner, and any whose assignee no longer sees the customer)."""
    text = _reason(reason, required=True)
    if not can_reassign(actor):
        raise PermissionDenied
    if not to_user.is_active:
        raise OwnershipError(_("不能转移给已停用的用户。"), details={"reason": "inactive_user"})
    if to_user.role not in (Role.SALES, Role.MANAGER, Role.ADMIN):
        raise OwnershipError(_("该用户的角色不能负责客户。"), details={"reason": "bad_role"})
    if actor.role == Role.MANAGER and not actor.is_admin_role and to_user.team_id != actor.team_id:
        raise OwnershipError(_("只能转移给本团队的成员。"), details={"reason": "other_team"})
    ids = list(dict.fromkeys(int(i) for i in customer_ids))
    visible = Customer.objects.alive().filter(visibility_q(actor)).filter(pk__in=ids)
    if actor.role == Role.MANAGER and not actor.is_admin_role:
        visible = visible.filter(Q(team_id=actor.team_id) | Q(owner__isnull=True))
    found = {c.pk: c for c in visible.select_for_update()}
    result = TransferResult()
    now = timezone.now()
    previous: dict[int, int | None] = {}
    for customer_id in ids:
        customer = found.get(customer_id)
        if customer is None:
            result.skipped[customer_id] = "not_found"
            continue
        if customer.owner_id == to_user.pk:
            result.skipped[customer_id] = "already_owner"
            continue
        Customer.objects.filter(pk=customer_id).update(
            owner=to_user,
            team_id=to_user.team_id,
            claimed_at=now,
            version=F("version") + 1,
            updated_at=now,
            updated_by=actor,
        )
        _record(
            customer_id,
            OwnerChangeKind.TRANSFER,
            actor=actor,
            from_user_id=customer.owner_id,
            to_user_id=to_user.pk,
            reason=text,
            at=now,
        )
        result.moved.append(customer_id)
        previous[customer_id] = customer.owner_id
    _changed(previous, actor=actor, to_user_id=to_user.pk, move_tasks=move_tasks)
    return result


def user_customers_transfer(
    *, actor: User, from_user: User, to_user: User, reason: str, move_tasks: bool = True
) -> TransferResult:
    """Move every customer of a departing user in one step."""
    ids = list(Customer.objects.alive().filter(owner=from_user).values_list("pk", flat=True))
    return customer_transfer(
        actor=actor, customer_ids=ids, to_user=to_user, reason=reason, move_tasks=move_tasks
    )


# --- the reclaim rules -------------------------------------------------------------------


@dataclass
class ReclaimReport:
    returned: int = 0
    noticed: int = 0
    errors: list[str] = field(default_factory=list)


def _idle_since() -> Greatest:
    """When the owner last worked on the customer: the later of claim and last contact."""
    return _later_of(F("last_contact_at"))


DealSource = Callable[[], Combinable]
_deal_source: DealSource | None = None


def register_deal_source(source: DealSource) -> None:
    """The app that knows purchases (orders, from its ``AppConfig.ready``) says when a
    customer last bought: ``source()`` is an expression over a customer queryset's
    ``OuterRef("pk")``, the moment of the newest deal or NULL."""
    global _deal_source
    _deal_source = source


def _last_deal() -> Combinable:
    """When the customer last bought, as the registered deal source reads it. Not kept
    on the customer row: every batch of orders would rewrite hundreds of customer rows
    (a page each) for a rule that runs once a day. No source: nobody ever bought."""
    if _deal_source is None:
        return Value(None, output_field=DateTimeField())
    return _deal_source()


def _deal_since() -> Greatest:
    """The later of claim and last purchase."""
    return _later_of(_last_deal())


def _claimed() -> Coalesce:
    """When the owner took the customer (created with an owner: its creation)."""
    return Coalesce(F("claimed_at"), F("created_at"))


def _later_of(event: Combinable) -> Greatest:
    # Both sides non-null: SQLite's MAX() and PostgreSQL's GREATEST() differ on NULLs.
    return Greatest(_claimed(), Coalesce(event, F("claimed_at"), F("created_at")))


def reclaim_candidates(now: dt.datetime, policy: PoolPolicy) -> dict[str, list[int]]:
    owned = Customer.objects.alive().filter(owner__isnull=False)
    followup = owned.annotate(idle=_idle_since()).filter(
        idle__lt=now - dt.timedelta(days=policy.followup_days)
    )
    deal_cutoff = now - dt.timedelta(days=policy.deal_days)
    # Claimed (or created) before the cutoff first: implied by the rule, and it spares
    # the look into the orders for customers claimed since.
    deal = (
        owned.annotate(claimed=_claimed())
        .filter(claimed__lt=deal_cutoff)
        .annotate(since=_deal_since())
        .filter(since__lt=deal_cutoff)
    )
    return {
        "followup": list(followup.values_list("pk", flat=True)),
        "deal": list(deal.values_list("pk", flat=True)),
    }


def pool_reclaim(*, now: dt.datetime | None = None, batch: int = 500) -> ReclaimReport:
    """Apply the reclaim rules: return idle customers to the pool and notify owners
    ``notice_days`` before. Safe to run twice; each customer is returned in its own
    transaction, so an interrupted run leaves each one returned (with history) or
    untouched."""
    now = now or timezone.now()
    policy = pool_policy()
    report = ReclaimReport()
    if not policy.enabled:
        return report
    report.noticed = _notices(now, policy)
    candidates = reclaim_candidates(now, policy)
    seen: set[int] = set()
    for rule in ("followup", "deal"):
        for customer_id in candidates[rule]:
            if customer_id in seen:
                continue
            seen.add(customer_id)
            if _reclaim_one(customer_id, rule, now, policy):
                report.returned += 1
    return report


@transaction.atomic
def _reclaim_one(customer_id: int, rule: str, now: dt.datetime, policy: PoolPolicy) -> bool:
    customer = Customer.objects.filter(pk=customer_id, owner__isnull=False).first()
    if customer is None:
        return False
    limit = now - dt.timedelta(
        days=policy.followup_days if rule == "followup" else policy.deal_days
    )
    since = _idle_since() if rule == "followup" else _deal_since()
    still_due = (
        Customer.objects.filter(pk=customer_id, owner_id=customer.owner_id)
        .annotate(since=since)
        .filter(since__lt=limit)
    )
    if not still_due.exists():
        return False
    updated = Customer.objects.filter(pk=customer_id, owner_id=customer.owner_id).update(
        owner=None, team=None, claimed_at=None, version=F("version") + 1, updated_at=now
    )
    if not updated:
        return False
    assert customer.owner_id is not None
    PoolBlock.objects.update_or_create(
        customer_id=customer_id,
        user_id=customer.owner_id,
        defaults={"until": now + dt.timedelta(days=policy.reclaim_block_days)},
    )
    days = policy.followup_days if rule == "followup" else policy.deal_days
    _record(
        customer_id,
        OwnerChangeKind.RECLAIM,
        actor=None,
        from_user_id=customer.owner_id,
        to_user_id=None,
        at=now,
        message=texts.RECLAIMED,
        params={"rule": rule, "days": days},
    )
    _changed({customer_id: customer.owner_id}, actor=None, to_user_id=None)
    return True


def _notices(now: dt.datetime, policy: PoolPolicy) -> int:
    """One notice per customer, owner and due date, ``notice_days`` ahead."""
    ahead = now + dt.timedelta(days=policy.notice_days)
    fresh = PoolPolicy(followup_days=policy.followup_days, deal_days=policy.deal_days)
    due = reclaim_candidates(ahead, fresh)
    already = reclaim_candidates(now, fresh)
    created = 0
    for rule, ids in due.items():
        todo = [i for i in ids if i not in set(already[rule])]
        customers = Customer.objects.filter(pk__in=todo).annotate(
            since=_idle_since() if rule == "followup" else _deal_since()
        )
        days = policy.followup_days if rule == "followup" else policy.deal_days
        for customer in customers.only("pk", "owner_id", "claimed_at", "created_at"):
            due_at = customer.since + dt.timedelta(days=days)  # type: ignore[attr-defined]
            _notice, was_created = PoolNotice.objects.get_or_create(
                customer_id=customer.pk,
                owner_id=customer.owner_id,
                rule=rule,
                due_at=due_at.replace(microsecond=0),
            )
            created += int(was_created)
    return created
