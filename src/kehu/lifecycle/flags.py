"""Manual flags (人工标记): their definitions, edited by admins, and the admin list.

A flag is a mark staff set on a customer by hand (重点客户, 已转竞品); the lifecycle rules
read the keys of a customer's flags as the fact ``flags``
(``{"fact": "flags", "op": "has", "value": "key_account"}``). The key is fixed once
created: rules refer to it. Retiring a flag stops anyone from setting it; customers who
have it keep it (and rules keep reading it) until someone clears it. Setting and
clearing a flag on a customer is ``services.flag_set``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.errors import ConflictError
from kehu.lifecycle import rules as rulebook
from kehu.lifecycle.models import CustomerFlag, Flag, Rule

FLAG_FIELDS = ("name", "color", "description")


def can_edit_flags(user: User) -> bool:
    return user.is_active and user.is_admin_role


def access_flags_admin(user: User) -> None:
    """Raise ``PermissionDenied`` (403) unless ``user`` may define flags (admins)."""
    if not can_edit_flags(user):
        raise PermissionDenied


def _require_admin(actor: User) -> None:
    access_flags_admin(actor)


def _check(flag: Flag) -> None:
    """Field checks (key, colour, lengths) and a name no other live flag has."""
    flag.name = (flag.name or "").strip()
    flag.description = (flag.description or "").strip()
    errors: dict[str, list[str]] = {}
    try:
        flag.full_clean(exclude=["updated_by"])
    except ValidationError as error:
        errors.update(error.message_dict)
    if flag.name and flag.retired_at is None:
        clash = Flag.objects.filter(name=flag.name, retired_at__isnull=True).exclude(pk=flag.pk)
        if clash.exists():
            errors.setdefault("name", []).append(_("已有同名的标记。"))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def flag_create(
    *, actor: User, key: str, name: str, color: str = "#6c757d", description: str = ""
) -> Flag:
    """A new flag staff can set on customers at once."""
    _require_admin(actor)
    flag = Flag(
        key=(key or "").strip(),
        name=name,
        color=color or "#6c757d",
        description=description,
        updated_by=actor,
    )
    _check(flag)
    flag.save()
    return flag


@transaction.atomic
def flag_update(*, actor: User, flag: Flag, data: Mapping[str, Any], version: int) -> Flag:
    """Change the name, colour or description, or retire (``"retired": True``) / bring
    back (``False``) the flag. ``version`` is the one read: a stale one raises
    ``ConflictError`` and changes nothing."""
    _require_admin(actor)
    unknown = sorted(set(data) - {*FLAG_FIELDS, "retired"})
    if unknown:
        raise ValidationError({key: [_("未知字段。")] for key in unknown})
    locked = Flag.objects.select_for_update().get(pk=flag.pk)
    if locked.version != version:
        raise ConflictError(
            _("标记“%(name)s”已被他人修改，请刷新后重试。") % {"name": locked.name},
            details={"current_version": locked.version},
        )
    for name in FLAG_FIELDS:
        if name in data:
            setattr(locked, name, data[name])
    if "retired" in data:
        retired = bool(data["retired"])
        if retired and locked.retired_at is None:
            locked.retired_at = timezone.now()
        elif not retired:
            locked.retired_at = None
    _check(locked)
    locked.version += 1
    locked.updated_by = actor
    locked.save()
    return locked


# --- the admin list ---------------------------------------------------------------------------


@dataclass
class FlagRow:
    flag: Flag
    customers: int
    rules: list[Rule] = field(default_factory=list)


def flag_rules(flag_keys: set[str]) -> dict[str, list[Rule]]:
    """The rules (of every model) whose condition reads each flag."""
    found: dict[str, list[Rule]] = {}
    for rule in Rule.objects.select_related("model").order_by("model__position", "priority"):
        for leaf in rulebook.leaves(rule.condition):
            value = leaf.get("value")
            if leaf.get("fact") == "flags" and isinstance(value, str) and value in flag_keys:
                bucket = found.setdefault(value, [])
                if rule not in bucket:
                    bucket.append(rule)
    return found


def flags_overview() -> list[FlagRow]:
    """Every flag (live ones first) with the live customers who have it and the rules
    that read it: three queries, whatever the number of flags."""
    flags = list(Flag.objects.select_related("updated_by").order_by("name", "pk"))
    counts = dict(
        CustomerFlag.objects.filter(customer__deleted_at__isnull=True)
        .values_list("flag_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    used = flag_rules({flag.key for flag in flags})
    rows = [FlagRow(flag, counts.get(flag.pk, 0), used.get(flag.key, [])) for flag in flags]
    return sorted(rows, key=lambda row: (row.flag.retired_at is not None, row.flag.name))
