"""Every write of exits: recorded by hand or from a churned stage, explained later,
won back by a paid order; the taxonomy and the settings.

A lifecycle move into a churned stage (``stage_entered``, any model) opens an exit
with the reason 未知 unless the customer has one open; a manual exit also moves the
customer into the churned stage of the default lifecycle model. A paid order placed
after the exit (``order_recorded``) marks the exit won back (赢回) and closes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core import events
from kehu.core.errors import ConflictError
from kehu.core.events import CustomerEvents
from kehu.core.sql import values_in
from kehu.customers.models import Customer
from kehu.exits.access import can_edit_reasons, can_edit_settings, can_record_exit
from kehu.exits.models import UNKNOWN, ExitReason, ExitRecord, ExitSettings, ExitSource
from kehu.exits.snapshot import ExitPlan, exit_settings, exits_create, unknown_reason
from kehu.lifecycle.models import CustomerStage, LifecycleModel, Stage, StageChange, StageKind
from kehu.lifecycle.services import stage_move
from kehu.orders.models import PURCHASE_STATUSES, Order, Refund
from kehu.surveys.models import Channel as SurveyChannel

MAX_COMPETITOR = 100
MAX_DETAILS = 2000


def _check_version(current: int, version: int | None) -> None:
    if version is not None and version != current:
        raise ConflictError(_("该记录已被他人修改，请刷新后重试。"))


def _explanation(
    reason: ExitReason | None,
    competitor: str,
    details: str,
    *,
    refund_ids: Iterable[int],
    customer: Customer,
) -> tuple[str, str, list[int]]:
    """The cleaned competitor, details and refund ids; ``ValidationError`` naming each
    field that is missing or wrong."""
    errors: dict[str, list[str]] = {}
    competitor = (competitor or "").strip()
    details = (details or "").strip()
    if reason is None:
        errors["reason"] = [_("请选择退出原因。")]
    elif not reason.is_active:
        errors["reason"] = [_("退出原因“%(name)s”已停用。") % {"name": reason.name}]
    else:
        if reason.asks_competitor and not competitor:
            errors["competitor"] = [_("原因为“%(name)s”时请填写竞争对手。") % {"name": reason.name}]
        if reason.requires_details and not details:
            errors["details"] = [_("原因为“%(name)s”时请填写说明。") % {"name": reason.name}]
    if len(competitor) > MAX_COMPETITOR:
        errors["competitor"] = [_("竞争对手最多 %(n)d 个字。") % {"n": MAX_COMPETITOR}]
    if len(details) > MAX_DETAILS:
        errors["details"] = [_("说明最多 %(n)d 个字。") % {"n": MAX_DETAILS}]
    wanted = sorted(set(refund_ids))
    if wanted:
        found = set(
            Refund.objects.filter(pk__in=wanted, order__customer=customer).values_list(
                "pk", flat=True
            )
        )
        if found != set(wanted):
            errors["refunds"] = [_("所选退款不属于该客户。")]
    if errors:
        raise ValidationError(errors)
    return competitor, details, wanted


def default_churned_stage() -> tuple[LifecycleModel, Stage] | None:
    """The churned stage (退出/流失) of the default lifecycle model, if there is one."""
    model = LifecycleModel.objects.filter(is_default=True, is_active=True).first()
    if model is None:
        return None
    stage = (
        Stage.objects.filter(model=model, kind=StageKind.CHURNED).order_by("position", "id").first()
    )
    return (model, stage) if stage is not None else None


@transaction.atomic
def exit_record(
    *,
    actor: User,
    customer: Customer,
    reason: ExitReason | None,
    competitor: str = "",
    details: str = "",
    refund_ids: Iterable[int] = (),
    at: dt.datetime | None = None,
) -> ExitRecord:
    """Record by hand that ``customer`` left, and why. Moves the customer into the
    churned stage of the default lifecycle model (if it is not there already)."""
    if not can_record_exit(actor, customer):
        raise PermissionDenied
    locked = Customer.objects.select_for_update().filter(pk=customer.pk).first()
    if locked is None or locked.deleted_at is not None:
        raise PermissionDenied
    competitor, details, refunds = _explanation(
        reason, competitor, details, refund_ids=refund_ids, customer=locked
    )
    assert reason is not None
    now = timezone.now()
    when = at or now
    if when.tzinfo is None:
        raise ValidationError({"at": [_("请带上时区。")]})
    if when > now + dt.timedelta(minutes=5):
        raise ValidationError({"at": [_("退出时间不能晚于现在。")]})
    if ExitRecord.objects.filter(customer=locked, won_back_at__isnull=True).exists():
        raise ValidationError({"customer": [_("该客户已有未结束的退出记录，请修改那一条。")]})
    [exit_id] = exits_create(
        [
            ExitPlan(
                customer_id=locked.pk,
                at=when,
                reason_id=reason.pk,
                source=ExitSource.MANUAL,
                created_by_id=actor.pk,
                competitor=competitor,
                details=details,
                refund_ids=tuple(refunds),
            )
        ]
    )
    churned = default_churned_stage()
    if churned is not None:
        model, stage = churned
        current = CustomerStage.objects.filter(customer=locked, model=model).first()
        if current is None or current.stage_id != stage.pk:
            change = stage_move(
                actor=actor,
                customer=locked,
                model=model,
                stage=stage,
                reason=_("客户退出：%(reason)s") % {"reason": reason.name},
            )
            ExitRecord.objects.filter(pk=exit_id).update(stage_change=change)
    return ExitRecord.objects.select_related("reason").get(pk=exit_id)


@transaction.atomic
def exit_update(
    *,
    actor: User,
    record: ExitRecord,
    reason: ExitReason | None,
    competitor: str = "",
    details: str = "",
    refund_ids: Iterable[int] | None = None,
    version: int | None = None,
) -> ExitRecord:
    """Explain an exit: its reason, competitor, details and refunds (send the version
    read; someone else's save since answers ``ConflictError``)."""
    if not can_record_exit(actor, record.customer):
        raise PermissionDenied
    locked = ExitRecord.objects.select_for_update().get(pk=record.pk)
    _check_version(locked.version, version)
    current = list(locked.refunds.values_list("pk", flat=True))
    competitor, details, refunds = _explanation(
        reason,
        competitor,
        details,
        refund_ids=current if refund_ids is None else refund_ids,
        customer=record.customer,
    )
    assert reason is not None
    ExitRecord.objects.filter(pk=locked.pk).update(
        reason=reason,
        competitor=competitor,
        details=details,
        updated_by=actor,
        updated_at=timezone.now(),
        version=locked.version + 1,
    )
    if refund_ids is not None:
        locked.refunds.set(refunds)
    return ExitRecord.objects.select_related("reason").get(pk=locked.pk)


# --- from the events -------------------------------------------------------------------


def on_stage_entered(event: CustomerEvents) -> None:
    """``stage_entered`` into a churned stage: an exit per customer without an open
    one, reason 未知, at the time of the stage change."""
    data = event.data
    if data.get("stage_kind") != StageKind.CHURNED:
        return
    change_ids: Mapping[int, int] = data.get("change_ids") or {}
    at_of = dict(
        StageChange.objects.filter(pk__in=values_in(list(change_ids.values()), "int")).values_list(
            "pk", "at"
        )
    )
    now = timezone.now()
    source = ExitSource.MANUAL if data.get("how") == "manual" else ExitSource.RULE
    reason = unknown_reason()
    plans = []
    for customer_id in event.customer_ids:
        change_id = change_ids.get(customer_id)
        plans.append(
            ExitPlan(
                customer_id=customer_id,
                at=at_of.get(change_id, now) if change_id else now,
                reason_id=reason.pk,
                source=source,
                created_by_id=event.actor_id,
                stage_change_id=change_id if change_id in at_of else None,
            )
        )
    exits_create(plans)


def on_orders_recorded(event: CustomerEvents) -> None:
    """``order_recorded``: a purchase placed after a customer's open exit wins it back
    (the first such purchase). One query when none of the customers has an open exit."""
    open_exits = list(
        ExitRecord.objects.filter(
            customer_id__in=values_in(list(event.customer_ids), "int"), won_back_at__isnull=True
        ).values_list("pk", "customer_id", "at")
    )
    if not open_exits:
        return
    since = min(at for _pk, _c, at in open_exits)
    first: dict[int, tuple[dt.datetime, int]] = {}
    orders = Order.objects.filter(
        customer_id__in=[c for _pk, c, _at in open_exits],
        status__in=PURCHASE_STATUSES,
        ordered_at__gt=since,
    ).values_list("customer_id", "ordered_at", "pk")
    exit_at = {c: at for _pk, c, at in open_exits}
    for customer_id, ordered_at, order_id in orders:
        if ordered_at > exit_at[customer_id] and (
            customer_id not in first or (ordered_at, order_id) < first[customer_id]
        ):
            first[customer_id] = (ordered_at, order_id)
    now = timezone.now()
    for pk, customer_id, _at in open_exits:
        if customer_id in first:
            won_at, order_id = first[customer_id]
            ExitRecord.objects.filter(pk=pk, won_back_at__isnull=True).update(
                won_back_at=won_at, won_back_order_id=order_id, updated_at=now
            )


def events_subscribe() -> None:
    events.subscribe_many("stage_entered", "exits.open_on_churn", on_stage_entered)
    events.subscribe_many("order_recorded", "exits.won_back", on_orders_recorded)


# --- the taxonomy and the settings --------------------------------------------------------

REASON_FIELDS = (
    "name",
    "description",
    "addressable",
    "requires_details",
    "asks_competitor",
    "position",
    "is_active",
)


@transaction.atomic
def reason_save(
    *,
    actor: User,
    data: Mapping[str, Any],
    reason: ExitReason | None = None,
    version: int | None = None,
) -> ExitReason:
    """Create a reason (with ``key``) or change one. 未知 stays active."""
    if not can_edit_reasons(actor):
        raise PermissionDenied
    if reason is None:
        target = ExitReason(key=(data.get("key") or "").strip())
    else:
        target = ExitReason.objects.select_for_update().get(pk=reason.pk)
        _check_version(target.version, version)
        target.version += 1
    for name in REASON_FIELDS:
        if name in data:
            setattr(target, name, data[name])
    target.name = (target.name or "").strip()
    if target.key == UNKNOWN and not target.is_active:
        raise ValidationError({"is_active": [_("“未知”原因不能停用：尚未说明的退出都用它。")]})
    target.updated_by = actor
    target.full_clean()
    target.save()
    return target


SETTINGS_FIELDS = (
    "survey",
    "survey_channel",
    "survey_delay_days",
    "refund_policy",
    "return_policy",
    "winback_min_value",
)


@transaction.atomic
def settings_save(*, actor: User, data: Mapping[str, Any], version: int | None) -> ExitSettings:
    if not can_edit_settings(actor):
        raise PermissionDenied
    current = exit_settings()
    row = ExitSettings.objects.select_for_update().get(pk=current.pk)
    _check_version(row.version, version)
    for name in SETTINGS_FIELDS:
        if name in data:
            setattr(row, name, data[name])
    if row.survey_channel not in SurveyChannel.values:
        raise ValidationError({"survey_channel": [_("未知的发送渠道。")]})
    row.version += 1
    row.updated_by = actor
    row.full_clean()
    row.save()
    return row
