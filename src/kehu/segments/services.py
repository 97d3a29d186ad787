"""Changes to segments: create, edit (optimistic locking), delete (soft), the static
lists' members, and the nightly sizes. Keyword-only, the actor passed in, checked
against ``access``; a rule is checked (``audience.rule_errors``) before anything is
written, so a refused rule changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.errors import ConflictError
from kehu.customers.access import visibility_q
from kehu.customers.models import Customer
from kehu.lifecycle import rules as rulebook
from kehu.segments.access import can_change, can_create, segments_visible_to
from kehu.segments.audience import rule_errors, segment_customers, segment_cycle
from kehu.segments.models import Segment, SegmentKind, SegmentMember, SegmentSnapshot, Sharing

MAX_MEMBERS_AT_ONCE = 1000


def _clean(segment: Segment, data: Mapping[str, Any], actor: User) -> None:
    errors: dict[str, list[str]] = {}
    if "name" in data:
        segment.name = str(data["name"] or "").strip()[:100]
    if not segment.name:
        errors["name"] = [_("请填写分群名称。")]
    if "description" in data:
        segment.description = str(data["description"] or "").strip()[:500]
    if "sharing" in data:
        if data["sharing"] not in Sharing.values:
            errors["sharing"] = [_("共享范围无效。")]
        else:
            segment.sharing = data["sharing"]
    if segment.sharing == Sharing.TEAM:
        segment.team_id = segment.team_id or actor.team_id
        if segment.team_id is None:
            errors["sharing"] = [_("你不属于任何团队，不能按团队共享。")]
    if segment.kind == SegmentKind.RULE:
        if "rule" in data:
            segment.rule = data["rule"]
        found = rule_errors(segment.rule)
        if not found:
            found = _references(segment, actor)
        if found:
            errors["rule"] = found
    elif data.get("rule") is not None:
        errors["rule"] = [_("静态名单没有条件。")]
    if errors:
        raise ValidationError(errors)


def _references(segment: Segment, actor: User) -> list[str]:
    """A rule may name only segments its author sees, and none that would include this
    one again (a circle)."""
    named = {
        int(str(leaf["value"]))
        for leaf in rulebook.leaves(segment.rule)
        if leaf.get("fact") == "segment" and str(leaf.get("value")).isdigit()
    }
    hidden = named - set(
        segments_visible_to(actor).filter(pk__in=named).values_list("pk", flat=True)
    )
    if hidden:
        return [_("分群“%(id)s”不存在或已删除。") % {"id": pk} for pk in sorted(hidden)]
    circle = segment_cycle(segment.pk, segment.rule)
    if circle:
        names = dict(
            Segment.objects.filter(pk__in=[int(p) for p in circle]).values_list("pk", "name")
        )
        path = " → ".join(
            names.get(int(pk), pk) if pk != str(segment.pk) else segment.name for pk in circle
        )
        return [_("分群之间不能互相包含：%(path)s。") % {"path": path}]
    return []


@transaction.atomic
def segment_create(*, actor: User, data: Mapping[str, Any]) -> Segment:
    """A new segment owned by ``actor`` (``kind`` ``rule`` with a ``rule``, or ``static``)."""
    if not can_create(actor):
        raise PermissionDenied
    kind = data.get("kind") or SegmentKind.RULE
    if kind not in SegmentKind.values:
        raise ValidationError({"kind": [_("类型无效。")]})
    segment = Segment(kind=kind, owner=actor, team_id=actor.team_id)
    _clean(segment, data, actor)
    segment.save()
    return segment


@transaction.atomic
def segment_update(
    *, actor: User, segment: Segment, data: Mapping[str, Any], version: int | None
) -> Segment:
    locked = Segment.objects.select_for_update().get(pk=segment.pk)
    if not can_change(actor, locked):
        raise PermissionDenied
    if version is not None and version != locked.version:
        raise ConflictError(_("该分群已被他人修改，请刷新后重试。"))
    _clean(locked, data, actor)
    locked.version += 1
    locked.save()
    return locked


@transaction.atomic
def segment_delete(*, actor: User, segment: Segment, version: int | None = None) -> None:
    locked = Segment.objects.select_for_update().get(pk=segment.pk)
    if not can_change(actor, locked):
        raise PermissionDenied
    if version is not None and version != locked.version:
        raise ConflictError(_("该分群已被他人修改，请刷新后重试。"))
    locked.deleted_at = timezone.now()
    locked.deleted_by = actor
    locked.version += 1
    locked.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])


def _static(actor: User, segment: Segment) -> None:
    if not can_change(actor, segment):
        raise PermissionDenied
    if not segment.is_static:
        raise ValidationError({"customers": [_("只能向静态名单添加或移除客户。")]})


@transaction.atomic
def members_add(*, actor: User, segment: Segment, customer_ids: Iterable[int]) -> int:
    """Add customers ``actor`` may see to a static list; the number added."""
    _static(actor, segment)
    wanted = list(dict.fromkeys(int(pk) for pk in customer_ids))
    if len(wanted) > MAX_MEMBERS_AT_ONCE:
        raise ValidationError({"customers": [_("一次最多添加 1000 位客户。")]})
    seen = set(
        Customer.objects.alive()
        .filter(visibility_q(actor), pk__in=wanted)
        .values_list("pk", flat=True)
    )
    present = set(
        SegmentMember.objects.filter(segment=segment, customer_id__in=seen).values_list(
            "customer_id", flat=True
        )
    )
    now = timezone.now()
    rows = [
        SegmentMember(segment=segment, customer_id=pk, added_by=actor, added_at=now)
        for pk in wanted
        if pk in seen and pk not in present
    ]
    SegmentMember.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic
def members_remove(*, actor: User, segment: Segment, customer_ids: Iterable[int]) -> int:
    _static(actor, segment)
    deleted, _rows = SegmentMember.objects.filter(
        segment=segment, customer_id__in=[int(pk) for pk in customer_ids]
    ).delete()
    return deleted


def snapshots_take(*, day: dt.date | None = None) -> dict[str, int]:
    """Each alive segment's size today, once a day: a segment already sized today is
    skipped (the snapshot row is the marker), so a second run changes nothing. A
    segment whose rule no longer holds together (a stage deleted since) is skipped."""
    day = day or timezone.localdate()
    done = set(SegmentSnapshot.objects.filter(date=day).values_list("segment_id", flat=True))
    taken = skipped = broken = 0
    for segment in Segment.objects.filter(deleted_at__isnull=True).order_by("pk"):
        if segment.pk in done:
            skipped += 1
            continue
        if not segment.is_static and rule_errors(segment.rule):
            broken += 1
            continue
        size = segment_customers(segment).count()
        _created = SegmentSnapshot.objects.get_or_create(
            segment=segment, date=day, defaults={"size": size, "at": timezone.now()}
        )
        taken += 1
    return {"taken": taken, "skipped": skipped, "broken": broken}
