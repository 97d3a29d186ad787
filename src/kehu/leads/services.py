"""Every write to leads: create (idempotent), change, contact attempts, verification,
qualification, deletion. Keyword-only, the actor passed in (None: the public form),
atomic, with a ``LeadEvent`` in the same transaction. Ownership (assignment, the lead
pool) is in ``assignment``; conversion into a customer in ``conversion``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.errors import ConflictError, KehuError
from kehu.customers.services import customer_owner_check
from kehu.leads.access import can_change_lead, can_create_lead
from kehu.leads.assignment import lead_route
from kehu.leads.history import MAX_NOTE, lead_event
from kehu.leads.models import (
    AttemptOutcome,
    ContactAttempt,
    DisqualifyReason,
    Lead,
    LeadEventKind,
    LeadStatus,
    PhoneCheck,
)
from kehu.leads.verification import (
    customer_duplicates,
    lead_duplicates,
    lead_phone_clean,
    phone_duplicate_counts,
    phone_verdict,
)
from kehu.messaging.access import campaigns_q
from kehu.messaging.models import Campaign


class _ByRule:
    def __repr__(self) -> str:
        return "BY_RULE"


BY_RULE: Final = _ByRule()  # no owner given: the assignment rules decide

EDIT_FIELDS: Final = (
    "name",
    "phone",
    "company",
    "province",
    "city",
    "source_channel",
    "campaign_id",
    "notes",
)
CREATE_FIELDS: Final = (*EDIT_FIELDS, "source", "external_id")


class LeadStateError(KehuError):
    """A step the lead's status does not allow (qualify a converted lead...)."""

    code = "lead_state"
    status = 409


def _clean(
    data: Mapping[str, Any],
    allowed: tuple[str, ...],
    actor: User | None,
    current_campaign: int | None = None,
) -> dict[str, Any]:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({key: _("未知字段。") for key in sorted(unknown)})
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in data.items():
        if key == "campaign_id":
            if value in (None, ""):
                cleaned[key] = None
            elif current_campaign is not None and int(value) == current_campaign:
                cleaned[key] = current_campaign  # kept as it was, seen or not
            elif not _campaigns(actor).filter(pk=int(value)).exists():
                errors["campaign"] = [_("没有这个营销活动。")]
            else:
                cleaned[key] = int(value)
            continue
        text = "" if value is None else str(value).strip()
        if key == "phone":
            try:
                text = lead_phone_clean(text)
            except ValidationError as error:
                errors.update(error.message_dict)
                continue
        cleaned[key] = text
    if "name" in cleaned and not cleaned["name"]:
        errors["name"] = [_("请填写姓名。")]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _campaigns(actor: User | None) -> QuerySet[Campaign]:
    """The campaigns a lead may name: those the actor may see (a campaign they may not
    see answers like one that does not exist); the public form names any."""
    rows = Campaign.objects.all()
    return rows if actor is None else rows.filter(campaigns_q(actor))


def _existing(fields: Mapping[str, Any], client_token: str) -> Lead | None:
    """The lead this create repeats: the same client token, or the same external id
    of the same source. (The ids first: a new submission, the common case, reads one
    column of one index.)"""
    found: list[int] = []
    if client_token:
        found = list(Lead.objects.filter(client_token=client_token).values_list("pk", flat=True))
    if not found and fields.get("external_id"):
        found = list(
            Lead.objects.alive()
            .filter(source=fields.get("source", ""), external_id=fields["external_id"])
            .values_list("pk", flat=True)
        )
    return Lead.objects.get(pk=found[0]) if found else None


def _verify_cheap(lead: Lead) -> None:
    """The checks that need no reader: the phone and exact-phone duplicates."""
    verdict = phone_verdict(lead.phone, lead.province)
    lead.phone_check = verdict.check
    lead.phone_region = verdict.region
    lead.duplicate_customers, lead.duplicate_leads = phone_duplicate_counts(lead.phone, lead.pk)


@transaction.atomic
def lead_create(
    *,
    actor: User | None,
    data: Mapping[str, Any],
    owner: User | _ByRule | None = BY_RULE,
    client_token: str = "",
) -> tuple[Lead, bool]:
    """Create a lead; ``(lead, created)``. Idempotent: a repeated ``client_token`` (the
    public form's double submit) or ``source`` + ``external_id`` (an API client's retry)
    answers the lead made the first time, with ``created`` False, and changes nothing.

    ``actor`` None is the public form. ``owner``: a user, None (the lead pool) or
    ``BY_RULE`` (the assignment rules: round-robin, by region, or the pool)."""
    if actor is not None and not can_create_lead(actor):
        raise PermissionDenied
    fields = _clean(data, CREATE_FIELDS, actor)
    if "phone" not in fields:
        raise ValidationError({"phone": [_("请填写电话。")]})
    token = (client_token or "").strip()[:64]
    existing = _existing(fields, token)
    if existing is not None:
        return existing, False
    if actor is not None and not isinstance(owner, _ByRule):
        customer_owner_check(actor, owner)
    lead = Lead(**fields, client_token=token, created_by=actor, updated_by=actor)
    lead.full_clean(
        exclude=["owner", "team", "campaign", "created_by", "updated_by"],
        validate_constraints=False,
    )
    _verify_cheap(lead)
    chosen = lead_route(lead) if isinstance(owner, _ByRule) else owner
    now = timezone.now()
    if chosen is not None:
        lead.owner, lead.team_id, lead.claimed_at = chosen, chosen.team_id, now
    try:
        with transaction.atomic():
            lead.save()
    except IntegrityError:
        # Two submits of the same token (or external id) at the same moment: the other
        # one won; answer its lead.
        existing = _existing(fields, token)
        if existing is None:
            raise
        return existing, False
    lead_event(lead, LeadEventKind.CREATE, actor=actor, at=now)
    if chosen is not None:
        lead_event(lead, LeadEventKind.ASSIGN, actor=actor, to_user=chosen, at=now)
    return lead, True


def _save_versioned(lead: Lead, version: int, actor: User, **changes: Any) -> Lead:
    done = (
        Lead.objects.alive()
        .filter(pk=lead.pk, version=version)
        .update(**changes, version=F("version") + 1, updated_at=timezone.now(), updated_by=actor)
    )
    if not done:
        current = Lead.objects.filter(pk=lead.pk).values_list("version", flat=True).first()
        raise ConflictError(
            _("该线索已被他人修改，请刷新后再试。"), details={"current_version": current}
        )
    lead.refresh_from_db()
    return lead


@transaction.atomic
def lead_update(*, actor: User, lead: Lead, data: Mapping[str, Any], version: int) -> Lead:
    """Change a lead's fields; ``version`` is the one the actor read (a stale one
    raises ``ConflictError``). A changed phone or region is verified again."""
    if not can_change_lead(actor, lead):
        raise PermissionDenied
    if lead.status == LeadStatus.CONVERTED:
        raise LeadStateError(_("已转化的线索不能修改，请修改对应的客户。"))
    fields = _clean(data, EDIT_FIELDS, actor, lead.campaign_id)
    draft = Lead(**{**{f: getattr(lead, f) for f in EDIT_FIELDS}, **fields})
    draft.full_clean(
        exclude=["owner", "team", "campaign", "created_by", "updated_by", "status"],
        validate_constraints=False,
    )
    changed = {k: v for k, v in fields.items() if getattr(lead, k) != v}
    if changed.keys() & {"phone", "province"}:
        draft.pk = lead.pk
        _verify_cheap(draft)
        changed.update(
            phone_check=draft.phone_check,
            phone_region=draft.phone_region,
            duplicate_customers=draft.duplicate_customers,
            duplicate_leads=draft.duplicate_leads,
        )
    lead = _save_versioned(lead, version, actor, **changed)
    if changed:
        names = ", ".join(sorted(k for k in changed if k in EDIT_FIELDS))
        lead_event(lead, LeadEventKind.UPDATE, actor=actor, note=names)
    return lead


@transaction.atomic
def lead_delete(*, actor: User, lead: Lead, version: int) -> None:
    if not can_change_lead(actor, lead):
        raise PermissionDenied
    _save_versioned(lead, version, actor, deleted_at=timezone.now())
    lead_event(lead, LeadEventKind.DELETE, actor=actor)


@transaction.atomic
def lead_verify(*, actor: User, lead: Lead) -> dict[str, Any]:
    """Check the phone and look for duplicates now, as ``actor`` may see them; the
    counts and the phone's verdict are kept on the lead. Returns what was found:
    ``phone`` (the verdict), ``customers`` (``Candidate`` list, masked for customers
    the actor may not see) and ``leads``."""
    if not can_change_lead(actor, lead):
        raise PermissionDenied
    verdict = phone_verdict(lead.phone, lead.province)
    customers = customer_duplicates(actor, lead)
    leads = lead_duplicates(lead)
    now = timezone.now()
    Lead.objects.filter(pk=lead.pk).update(
        phone_check=verdict.check,
        phone_region=verdict.region,
        duplicate_customers=len(customers),
        duplicate_leads=len(leads),
        verified_at=now,
    )
    lead.refresh_from_db()
    lead_event(lead, LeadEventKind.VERIFY, actor=actor, note=verdict.message, at=now)
    return {"phone": verdict, "customers": customers, "leads": leads}


@transaction.atomic
def attempt_log(
    *,
    actor: User,
    lead: Lead,
    outcome: str,
    note: str = "",
    appointment_at: dt.datetime | None = None,
    at: dt.datetime | None = None,
) -> ContactAttempt:
    """Log a call with its outcome (接通, 未接, 空号, 拒绝, 约访). The first one moves a new
    lead to "contacting"; 空号 marks the phone invalid; an appointment needs its time."""
    if not can_change_lead(actor, lead):
        raise PermissionDenied
    if not lead.is_open:
        raise LeadStateError(_("该线索已结束，不能再登记联系。"))
    errors: dict[str, list[str]] = {}
    if outcome not in AttemptOutcome.values:
        errors["outcome"] = [_("请选择联系结果。")]
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        errors["note"] = [_("记录最多 %(n)d 个字。") % {"n": MAX_NOTE}]
    if outcome == AttemptOutcome.APPOINTMENT:
        if appointment_at is None:
            errors["appointment_at"] = [_("约访请填写约定的时间。")]
        elif appointment_at.tzinfo is None:
            errors["appointment_at"] = [_("请带上时区。")]
    if errors:
        raise ValidationError(errors)
    now = at or timezone.now()
    attempt = ContactAttempt.objects.create(
        lead=lead,
        outcome=outcome,
        note=text,
        appointment_at=appointment_at if outcome == AttemptOutcome.APPOINTMENT else None,
        actor=actor,
        at=now,
    )
    changes: dict[str, Any] = {"last_attempt_at": now}
    if lead.status == LeadStatus.NEW:
        changes["status"] = LeadStatus.CONTACTING
    if outcome == AttemptOutcome.INVALID_NUMBER:
        changes["phone_check"] = PhoneCheck.INVALID
    Lead.objects.filter(pk=lead.pk).update(**changes, version=F("version") + 1)
    lead.refresh_from_db()
    return attempt


@transaction.atomic
def lead_qualify(
    *,
    actor: User,
    lead: Lead,
    qualified: bool,
    reason: DisqualifyReason | None = None,
    note: str = "",
    version: int | None = None,
) -> Lead:
    """合格 or 不合格 (with a reason from the editable list). A disqualified lead may be
    qualified later (and the other way round) until it is converted."""
    if not can_change_lead(actor, lead):
        raise PermissionDenied
    if lead.status == LeadStatus.CONVERTED:
        raise LeadStateError(_("已转化的线索不能再判定。"))
    text = (note or "").strip()
    if len(text) > 500:
        raise ValidationError({"note": [_("说明最多 500 个字。")]})
    if not qualified and (reason is None or not reason.is_active):
        raise ValidationError({"reason": [_("请选择不合格的原因。")]})
    status = LeadStatus.QUALIFIED if qualified else LeadStatus.DISQUALIFIED
    lead = _save_versioned(
        lead,
        lead.version if version is None else version,
        actor,
        status=status,
        disqualify_reason=None if qualified else reason,
        qualify_note=text,
        qualified_at=timezone.now(),
    )
    words = text if qualified else f"{reason}{'：' + text if text else ''}"
    kind = LeadEventKind.QUALIFY if qualified else LeadEventKind.DISQUALIFY
    lead_event(lead, kind, actor=actor, note=words)
    return lead


@transaction.atomic
def reason_save(
    *, actor: User, name: str, reason: DisqualifyReason | None = None, is_active: bool = True
) -> DisqualifyReason:
    """Add or change a disqualification reason (admins)."""
    from kehu.leads.access import can_edit_lead_settings

    if not can_edit_lead_settings(actor):
        raise PermissionDenied
    target = reason or DisqualifyReason()
    target.name = (name or "").strip()
    target.is_active = is_active
    if reason is None:
        last = DisqualifyReason.objects.order_by("-position").first()
        target.position = (last.position + 1) if last else 1
    target.full_clean()
    target.save()
    return target
