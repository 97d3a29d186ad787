"""The public pool's rules (公海规则): ownership caps per role, the reclaim days, the
advance notice and the re-claim block. One row (``ownership.pool_policy``), read by
``pool_claim``, ``pool_release`` and ``pool_reclaim``; changed here by admins, with the
version they read (two admins may edit at once) and the editor kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.errors import ConflictError
from kehu.customers.access import can_edit_pool_policy
from kehu.customers.models import PoolPolicy
from kehu.customers.ownership import pool_policy

POLICY_FIELDS = (
    "followup_days",
    "deal_days",
    "notice_days",
    "reclaim_block_days",
    "cap_sales",
    "cap_manager",
    "cap_admin",
    "enabled",
)
MAX_DAYS = 3650
MAX_BLOCK_DAYS = 365
MAX_CAP = 1_000_000


def _in_range(errors: dict[str, list[str]], name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        errors.setdefault(name, []).append(
            _("应在 %(low)d 到 %(high)d 之间。") % {"low": low, "high": high}
        )


def pool_policy_check(policy: PoolPolicy) -> None:
    """Raise ``ValidationError`` (per field) unless the rules make sense together."""
    errors: dict[str, list[str]] = {}
    for name in ("followup_days", "deal_days"):
        _in_range(errors, name, int(getattr(policy, name)), 1, MAX_DAYS)
    _in_range(errors, "notice_days", int(policy.notice_days), 0, MAX_DAYS)
    _in_range(errors, "reclaim_block_days", int(policy.reclaim_block_days), 0, MAX_BLOCK_DAYS)
    for name in ("cap_sales", "cap_manager", "cap_admin"):
        _in_range(errors, name, int(getattr(policy, name)), 0, MAX_CAP)
    if not errors and policy.notice_days >= min(policy.followup_days, policy.deal_days):
        errors["notice_days"] = [_("提前提醒天数必须小于未跟进和未成交的收回天数。")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def pool_policy_update(*, actor: User, data: Mapping[str, Any], version: int) -> PoolPolicy:
    """Change the pool's rules. ``version`` is the one the admin read: a stale one
    raises ``ConflictError`` and changes nothing. Lowering a cap takes no customer away
    from anyone: whoever is above it only cannot claim more."""
    if not can_edit_pool_policy(actor):
        raise PermissionDenied
    unknown = sorted(set(data) - set(POLICY_FIELDS))
    if unknown:
        raise ValidationError({key: [_("未知字段。")] for key in unknown})
    current = pool_policy()
    draft = PoolPolicy(pk=current.pk, **{name: getattr(current, name) for name in POLICY_FIELDS})
    for name, value in data.items():
        setattr(draft, name, value)
    pool_policy_check(draft)
    done = PoolPolicy.objects.filter(pk=current.pk, version=version).update(
        **{name: getattr(draft, name) for name in POLICY_FIELDS},
        version=F("version") + 1,
        updated_at=timezone.now(),
        updated_by=actor,
    )
    if not done:
        raise ConflictError(
            _("公海规则已被他人修改，请刷新后再试。"),
            details={"current_version": PoolPolicy.objects.get(pk=current.pk).version},
        )
    return PoolPolicy.objects.select_related("updated_by").get(pk=current.pk)
