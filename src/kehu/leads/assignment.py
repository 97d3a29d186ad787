"""Who works on a lead: the assignment rules (round-robin in a team, or by region),
assignment by hand, and the lead pool (线索池) with claim, release and reclaim.

The pool is the customers' public pool (公海) mechanism, generalised rather than
copied (``customers.ownership``): the claim is the same conditional UPDATE
(``pool_take``: of racing claims exactly one wins), a person's claims are serialised
the same way so the cap holds (``claims_serialise``), and "idle" is the same
expression — the later of the claim and the last touch (``idle_since``), here the
last contact attempt. Only the numbers differ, in ``LeadSettings``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import Role, User
from kehu.accounts.selectors import users_assignable_by
from kehu.core.errors import ConflictError
from kehu.customers.access import visibility_q
from kehu.customers.ownership import (
    JUST_CLAIMED,
    OwnershipError,
    claims_serialise,
    idle_since,
    pool_take,
)
from kehu.leads.access import can_assign_leads, can_claim_lead, can_edit_lead_settings
from kehu.leads.history import lead_event
from kehu.leads.models import (
    OPEN_STATUSES,
    AssignmentMode,
    Lead,
    LeadEvent,
    LeadEventKind,
    LeadSettings,
    RegionRoute,
)

OWNER_ROLES = (Role.SALES, Role.MANAGER)
SETTINGS_FIELDS = ("mode", "team_id", "reclaim_days", "reclaim_block_days", "claim_cap")


def lead_settings(*, for_update: bool = False) -> LeadSettings:
    rows = LeadSettings.objects.order_by("pk")
    if for_update:
        rows = rows.select_for_update()
    found = rows.first()
    return found if found is not None else LeadSettings.objects.create()


def team_members(team_id: int | None) -> list[User]:
    """Who round-robin hands leads to: the team's active salespeople and managers."""
    if team_id is None:
        return []
    return list(
        User.objects.filter(team_id=team_id, is_active=True, role__in=OWNER_ROLES).order_by("pk")
    )


def _round_robin(settings: LeadSettings) -> User | None:
    members = team_members(settings.team_id)
    if not members:
        return None
    last = settings.last_assigned_id or 0
    chosen = next((m for m in members if m.pk > last), members[0])
    LeadSettings.objects.filter(pk=settings.pk).update(last_assigned=chosen)
    return chosen


def _by_region(province: str, city: str) -> User | None:
    if not province:
        return None
    routes = RegionRoute.objects.filter(province=province, user__is_active=True).filter(
        Q(city=city) | Q(city="")
    )
    # The city's route before the province's.
    route = routes.select_related("user").order_by("-city").first()
    return route.user if route is not None else None


def lead_route(lead: Lead) -> User | None:
    """The owner the rules give a new lead; None: the lead pool. Round-robin locks the
    settings row until the transaction ends, so racing creates take turns."""
    modes = list(LeadSettings.objects.order_by("pk").values_list("mode", flat=True)[:1])
    if not modes or modes[0] == AssignmentMode.POOL:
        return None  # the default: no lock, no row read beyond the mode
    settings = lead_settings(for_update=True)
    if settings.mode == AssignmentMode.ROUND_ROBIN:
        return _round_robin(settings)
    if settings.mode == AssignmentMode.REGION:
        return _by_region(lead.province, lead.city)
    return None


@transaction.atomic
def lead_settings_update(*, actor: User, data: Mapping[str, Any], version: int) -> LeadSettings:
    if not can_edit_lead_settings(actor):
        raise PermissionDenied
    unknown = sorted(set(data) - set(SETTINGS_FIELDS))
    if unknown:
        raise ValidationError({key: [_("未知字段。")] for key in unknown})
    current = lead_settings()
    draft = LeadSettings(pk=current.pk, **{f: getattr(current, f) for f in SETTINGS_FIELDS})
    for name, value in data.items():
        setattr(draft, name, value)
    errors: dict[str, list[str]] = {}
    if draft.mode not in AssignmentMode.values:
        errors["mode"] = [_("请选择分配方式。")]
    if draft.mode == AssignmentMode.ROUND_ROBIN and not team_members(draft.team_id):
        errors["team"] = [_("轮流分配需要选择一个有销售成员的团队。")]
    for name, low, high in (
        ("reclaim_days", 1, 365),
        ("reclaim_block_days", 0, 365),
        ("claim_cap", 0, 100_000),
    ):
        if not low <= int(getattr(draft, name)) <= high:
            errors[name] = [_("应在 %(low)d 到 %(high)d 之间。") % {"low": low, "high": high}]
    if errors:
        raise ValidationError(errors)
    done = LeadSettings.objects.filter(pk=current.pk, version=version).update(
        **{f: getattr(draft, f) for f in SETTINGS_FIELDS},
        version=F("version") + 1,
        updated_at=timezone.now(),
        updated_by=actor,
    )
    if not done:
        raise ConflictError(
            _("分配规则已被他人修改，请刷新后再试。"),
            details={"current_version": LeadSettings.objects.get(pk=current.pk).version},
        )
    return lead_settings()


@transaction.atomic
def region_route_save(*, actor: User, province: str, city: str, user: User) -> RegionRoute:
    if not can_edit_lead_settings(actor):
        raise PermissionDenied
    if not user.is_active or user.role not in (*OWNER_ROLES, Role.ADMIN):
        raise ValidationError({"user": [_("该用户的角色不能负责线索。")]})
    province, city = (province or "").strip(), (city or "").strip()
    if not province:
        raise ValidationError({"province": [_("请填写省份。")]})
    route, _created = RegionRoute.objects.update_or_create(
        province=province[:32], city=city[:32], defaults={"user": user}
    )
    return route


@transaction.atomic
def region_route_delete(*, actor: User, route: RegionRoute) -> None:
    if not can_edit_lead_settings(actor):
        raise PermissionDenied
    route.delete()


# --- by hand -------------------------------------------------------------------------------


@transaction.atomic
def lead_assign(*, actor: User, lead: Lead, to_user: User | None, note: str = "") -> Lead:
    """Hand a lead to someone (managers within their team, admins), or to the pool."""
    if not can_assign_leads(actor):
        raise PermissionDenied
    if to_user is not None and not users_assignable_by(actor).filter(pk=to_user.pk).exists():
        raise ValidationError({"owner": [_("不能把线索分配给该用户。")]})
    if not lead.is_open:
        raise ValidationError({"owner": [_("该线索已结束，不能再分配。")]})
    now = timezone.now()
    Lead.objects.filter(pk=lead.pk).update(
        owner=to_user,
        team_id=to_user.team_id if to_user else None,
        claimed_at=now if to_user else None,
        version=F("version") + 1,
        updated_at=now,
        updated_by=actor,
    )
    kind = LeadEventKind.ASSIGN if to_user else LeadEventKind.RELEASE
    lead_event(lead, kind, actor=actor, to_user=to_user, note=note, at=now)
    lead.refresh_from_db()
    return lead


@dataclass
class AssignReport:
    assigned: int = 0
    left: int = 0


def pool_assign_by_rule(*, actor: User | None, limit: int = 1000) -> AssignReport:
    """Give the pool's open leads an owner by the rules (``kehu leads assign``); a
    lead the rules give nobody stays in the pool."""
    report = AssignReport()
    ids = list(
        Lead.objects.alive()
        .filter(owner__isnull=True, status__in=OPEN_STATUSES)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for lead_id in ids:
        with transaction.atomic():
            lead = Lead.objects.filter(pk=lead_id, owner__isnull=True).first()
            chosen = lead_route(lead) if lead is not None else None
            if lead is None or chosen is None:
                report.left += 1
                continue
            now = timezone.now()
            if Lead.objects.filter(pk=lead_id, owner__isnull=True).update(
                owner=chosen, team_id=chosen.team_id, claimed_at=now, version=F("version") + 1
            ):
                lead_event(lead, LeadEventKind.ASSIGN, actor=actor, to_user=chosen, at=now)
                report.assigned += 1
    return report


# --- the lead pool ---------------------------------------------------------------------------


def open_leads_of(user: User) -> int:
    return Lead.objects.alive().filter(owner=user, status__in=OPEN_STATUSES).count()


@transaction.atomic
def lead_pool_claim(*, actor: User, lead_id: int) -> Lead:
    """Take a lead from the pool. Exactly one of several racing claims wins."""
    if not can_claim_lead(actor):
        raise PermissionDenied
    lead = Lead.objects.alive().filter(visibility_q(actor), pk=lead_id).first()
    if lead is None:
        if LeadEvent.objects.filter(
            lead_id=lead_id, kind=LeadEventKind.CLAIM, at__gte=timezone.now() - JUST_CLAIMED
        ).exists():
            # Someone claimed it a moment ago (it was in the pool, so the actor saw it):
            # say so rather than "not found".
            raise OwnershipError(_("该线索刚刚被他人领取。"), details={"reason": "taken"})
        raise Http404
    if lead.owner_id == actor.pk:
        raise OwnershipError(_("该线索已经是您的。"), details={"reason": "already_yours"})
    if lead.owner_id is not None:
        raise OwnershipError(_("该线索已被他人领取。"), details={"reason": "taken"})
    if not lead.is_open:
        raise OwnershipError(_("该线索已结束。"), details={"reason": "changed"})
    now = timezone.now()
    if lead.blocked_user_id == actor.pk and lead.blocked_until and lead.blocked_until > now:
        raise OwnershipError(
            _("您退回该线索后 %(date)s 前不能重新领取。")
            % {"date": timezone.localtime(lead.blocked_until).strftime("%Y-%m-%d %H:%M")},
            details={"reason": "blocked", "until": lead.blocked_until.isoformat()},
        )
    claims_serialise(actor)
    cap = lead_settings().claim_cap
    if open_leads_of(actor) >= cap:
        raise OwnershipError(
            _("您名下已有 %(cap)d 条未结线索，达到上限，不能再领取。") % {"cap": cap},
            details={"reason": "over_cap", "cap": cap},
        )
    if not pool_take(Lead.objects.all(), lead.pk, actor=actor, now=now):
        raise OwnershipError(_("该线索刚刚被他人领取。"), details={"reason": "taken"})
    lead_event(lead, LeadEventKind.CLAIM, actor=actor, to_user=actor, at=now)
    lead.refresh_from_db()
    return lead


def _to_pool(lead_id: int, previous: int, now: dt.datetime, block_days: int) -> bool:
    return bool(
        Lead.objects.filter(pk=lead_id, owner_id=previous).update(
            owner=None,
            team=None,
            claimed_at=None,
            blocked_user_id=previous,
            blocked_until=now + dt.timedelta(days=block_days),
            version=F("version") + 1,
            updated_at=now,
        )
    )


@transaction.atomic
def lead_release(*, actor: User, lead: Lead, reason: str) -> Lead:
    """Give a lead back to the pool with a reason; the releaser may not claim it back
    for ``reclaim_block_days``."""
    text = (reason or "").strip()
    if not text:
        raise ValidationError({"reason": [_("请填写原因。")]})
    if lead.owner_id is None:
        raise OwnershipError(_("该线索已在线索池中。"), details={"reason": "in_pool"})
    if lead.owner_id != actor.pk and not can_assign_leads(actor):
        raise PermissionDenied
    now = timezone.now()
    if not _to_pool(lead.pk, lead.owner_id, now, lead_settings().reclaim_block_days):
        raise OwnershipError(
            _("该线索的负责人刚刚发生了变化，请刷新后重试。"), details={"reason": "changed"}
        )
    lead_event(lead, LeadEventKind.RELEASE, actor=actor, note=text[:500], at=now)
    lead.refresh_from_db()
    return lead


@dataclass
class ReclaimReport:
    returned: list[int] = field(default_factory=list)


def reclaim_due(now: dt.datetime, days: int) -> list[tuple[int, int]]:
    """Open leads whose owner has not called them for ``days`` since the claim."""
    rows = (
        Lead.objects.alive()
        .filter(owner__isnull=False, status__in=OPEN_STATUSES)
        .annotate(idle=idle_since(F("last_attempt_at")))
        .filter(idle__lt=now - dt.timedelta(days=days))
        .values_list("pk", "owner_id")
    )
    return [(pk, owner) for pk, owner in rows if owner is not None]


def lead_reclaim(*, now: dt.datetime | None = None) -> ReclaimReport:
    """Return idle leads to the pool (``kehu leads reclaim``, daily). Safe to run twice;
    each lead in its own transaction."""
    now = now or timezone.now()
    settings = lead_settings()
    report = ReclaimReport()
    for lead_id, owner_id in reclaim_due(now, settings.reclaim_days):
        with transaction.atomic():
            if _to_pool(lead_id, owner_id, now, settings.reclaim_block_days):
                lead = Lead.objects.get(pk=lead_id)
                lead_event(
                    lead,
                    LeadEventKind.RECLAIM,
                    actor=None,
                    note=_("%(days)d 天未联系") % {"days": settings.reclaim_days},
                    at=now,
                )
                report.returned.append(lead_id)
    return report
