"""Every write to lifecycle models, rules, customers' stages and flags.

Manual moves need a reason and whoever may change the customer; they are kept as a
``StageChange`` (kind "manual", with the actor) and in the customer's change history.
Models, stages and rules are edited by admins; a rule is checked with the whole rule
set of its model before it is saved (unknown facts, stages of another model, loops).
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
from kehu.core.errors import ConflictError, KehuError
from kehu.core.events import CustomerEvents
from kehu.customers.access import can_write
from kehu.customers.models import ChangeAction, Customer, CustomerChange
from kehu.lifecycle import rules as rulebook
from kehu.lifecycle.engine import lifecycle_evaluate, rule_spec
from kehu.lifecycle.events import stage_entered_emit
from kehu.lifecycle.models import (
    CustomerFlag,
    CustomerStage,
    Flag,
    LifecycleModel,
    Rule,
    Stage,
    StageChange,
    StageChangeKind,
)

MAX_REASON = 500


class UnknownModel(KehuError):
    code = "unknown_model"
    status = 422


class UnknownStage(KehuError):
    code = "unknown_stage"
    status = 422


def stage_find(model: LifecycleModel, stage: str) -> Stage:
    """A stage of ``model`` by key or by name (either language-neutral key or 名称)."""
    text = (stage or "").strip()
    found = (
        Stage.objects.filter(model=model, key=text).first()
        or Stage.objects.filter(model=model, name=text).first()
    )
    if found is None:
        raise UnknownStage(
            _("模型“%(model)s”中没有阶段“%(stage)s”。") % {"model": model.name, "stage": text[:50]}
        )
    return found


def model_find(key: str) -> LifecycleModel:
    found = LifecycleModel.objects.filter(key=(key or "").strip()).first()
    if found is None:
        raise UnknownModel(_("没有标识为“%(key)s”的生命周期模型。") % {"key": (key or "")[:40]})
    return found


@transaction.atomic
def stage_move(
    *,
    actor: User,
    customer: Customer,
    model: LifecycleModel,
    stage: Stage,
    reason: str,
    now: dt.datetime | None = None,
) -> StageChange:
    """Move ``customer`` to ``stage`` of ``model`` by hand, with a reason."""
    if not can_write(actor, customer) or customer.deleted_at is not None:
        raise PermissionDenied
    text = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not text:
        errors["reason"] = [_("请填写手动调整阶段的原因。")]
    elif len(text) > MAX_REASON:
        errors["reason"] = [_("原因最多 %(n)d 个字。") % {"n": MAX_REASON}]
    if stage.model_id != model.pk:
        errors["stage"] = [_("该阶段不属于模型“%(model)s”。") % {"model": model.name}]
    if errors:
        raise ValidationError(errors)
    at = now or timezone.now()
    row = CustomerStage.objects.select_for_update().filter(customer=customer, model=model).first()
    if row is not None and row.stage_id == stage.pk:
        raise ValidationError({"stage": [_("客户已处于该阶段。")]})
    change = StageChange.objects.create(
        customer=customer,
        model=model,
        from_stage_id=row.stage_id if row is not None else None,
        to_stage=stage,
        at=at,
        kind=StageChangeKind.MANUAL,
        actor=actor,
        reason=text,
        facts={},
    )
    if row is None:
        CustomerStage.objects.create(
            customer=customer, model=model, stage=stage, since=at, change=change
        )
        old = ""
    else:
        old = row.stage.name
        CustomerStage.objects.filter(pk=row.pk).update(stage=stage, since=at, change=change)
    CustomerChange.objects.create(
        customer=customer,
        actor=actor,
        at=at,
        action=ChangeAction.UPDATE,
        field=f"lifecycle:{model.key}"[:64],
        old_value=old,
        new_value=f"{stage.name}（{text}）",
    )
    stage_entered_emit(
        {customer.pk: row.stage_id if row is not None else None},
        {customer.pk: change.pk},
        model_id=model.pk,
        stage_id=stage.pk,
        stage_kind=stage.kind,
        how=StageChangeKind.MANUAL.value,
        actor_id=actor.pk,
    )
    return change


@transaction.atomic
def flag_set(*, actor: User, customer: Customer, flag: Flag, on: bool) -> bool:
    """Set or clear a manual flag; re-evaluates the customer (rules read flags).
    Returns whether anything changed."""
    if not can_write(actor, customer) or customer.deleted_at is not None:
        raise PermissionDenied
    if on and flag.retired_at is not None:
        raise ValidationError({"flag": [_("标记“%(name)s”已停用。") % {"name": flag.name}]})
    now = timezone.now()
    if on:
        _row, created = CustomerFlag.objects.get_or_create(
            customer=customer, flag=flag, defaults={"set_by": actor, "set_at": now}
        )
        changed = created
    else:
        changed = CustomerFlag.objects.filter(customer=customer, flag=flag).delete()[0] > 0
    if changed:
        CustomerChange.objects.create(
            customer=customer,
            actor=actor,
            at=now,
            action=ChangeAction.UPDATE,
            field="lifecycle:flag",
            old_value="" if on else flag.name,
            new_value=flag.name if on else "",
        )
        lifecycle_evaluate([customer.pk], now=now)
    return changed


# --- models, stages and rules (admins) ----------------------------------------------------


def _require_admin(actor: User) -> None:
    if not (actor.is_active and actor.is_admin_role):
        raise PermissionDenied


def _check_version(current: int, version: int | None) -> None:
    if version is not None and version != current:
        raise ConflictError(_("该记录已被他人修改，请刷新后重试。"))


def rule_set_check(model: LifecycleModel, draft: Rule | None = None) -> None:
    """The model's active rules (with ``draft`` in place of its saved version) must be
    valid together; raises ``ValidationError`` with the reasons."""
    stages = list(Stage.objects.filter(model=model).order_by("position", "pk"))
    keys = {stage.pk: stage.key for stage in stages}
    rules = [rule for rule in Rule.objects.filter(model=model, is_active=True)]
    if draft is not None:
        rules = [rule for rule in rules if rule.pk != draft.pk or draft.pk is None]
        if draft.is_active:
            rules.append(draft)
    specs = []
    for rule in rules:
        spec = rule_spec(rule, keys)
        if rule.to_stage_id not in keys:
            spec = rulebook.RuleSpec(
                spec.id, spec.name, spec.from_stages, "?", spec.condition, spec.priority
            )
        specs.append(spec)
    try:
        rulebook.check_rule_set(specs, [stage.key for stage in stages], _)
    except rulebook.RuleError as error:
        raise ValidationError({"condition": error.messages}) from None


RULE_FIELDS = ("name", "from_stages", "to_stage", "condition", "priority", "is_active")


@transaction.atomic
def rule_save(
    *,
    actor: User,
    model: LifecycleModel,
    data: Mapping[str, Any],
    rule: Rule | None = None,
    version: int | None = None,
) -> Rule:
    """Create or change a rule of ``model``; the whole rule set is checked first and
    nothing is saved when it is refused."""
    _require_admin(actor)
    if rule is not None:
        rule = Rule.objects.select_for_update().get(pk=rule.pk)
        _check_version(rule.version, version)
    draft = rule_draft(model=model, data=data, rule=rule)
    if rule is not None:
        draft.version += 1
    draft.save()
    return draft


def rule_draft(*, model: LifecycleModel, data: Mapping[str, Any], rule: Rule | None = None) -> Rule:
    """``rule`` (or a new rule of ``model``) changed by ``data`` and checked alone and
    with the model's whole rule set, not saved: what ``rule_save`` would store, and what
    the editor previews. Raises ``ValidationError`` with the reasons per field."""
    draft = rule or Rule(model=model)
    errors: dict[str, list[str]] = {}
    if "name" in data:
        draft.name = str(data["name"] or "").strip()[:100]
    if not draft.name:
        errors["name"] = [_("请填写规则名称。")]
    if "priority" in data:
        try:
            draft.priority = int(data["priority"])
        except (TypeError, ValueError):
            errors["priority"] = [_("优先级必须是整数。")]
    if "is_active" in data:
        draft.is_active = bool(data["is_active"])
    if "to_stage" in data:
        target = data["to_stage"]
        stage = (
            target
            if isinstance(target, Stage)
            else Stage.objects.filter(model=model, key=str(target or "")).first()
        )
        if stage is None or stage.model_id != model.pk:
            errors["to_stage"] = [_("目标阶段不属于该模型。")]
        else:
            draft.to_stage = stage
    elif draft.to_stage_id is None:
        errors["to_stage"] = [_("请选择目标阶段。")]
    if "from_stages" in data:
        sources = data["from_stages"] or []
        if not isinstance(sources, list) or not all(isinstance(key, str) for key in sources):
            errors["from_stages"] = [_("起始阶段必须是阶段标识的列表。")]
        else:
            draft.from_stages = sorted(set(sources))
    if "condition" in data:
        draft.condition = data["condition"]
    messages = rulebook.validate(draft.condition, _)
    if messages:
        errors["condition"] = messages
    if errors:
        raise ValidationError(errors)
    rule_set_check(model, draft)
    draft.time_dependent = rulebook.is_time_dependent(draft.condition)
    return draft


@transaction.atomic
def model_update(
    *,
    actor: User,
    model: LifecycleModel,
    data: Mapping[str, Any],
    version: int | None = None,
) -> LifecycleModel:
    """Name, description, active, default. Activating a model needs stages; the default
    model is active; there is always exactly one default."""
    _require_admin(actor)
    locked = LifecycleModel.objects.select_for_update().get(pk=model.pk)
    _check_version(locked.version, version)
    for name in ("name", "description"):
        if name in data:
            setattr(locked, name, str(data[name] or "").strip())
    if not locked.name:
        raise ValidationError({"name": [_("请填写模型名称。")]})
    if "is_active" in data:
        locked.is_active = bool(data["is_active"])
    if data.get("is_default"):
        LifecycleModel.objects.filter(is_default=True).exclude(pk=locked.pk).update(
            is_default=False
        )
        locked.is_default = True
        locked.is_active = True
    if locked.is_default and not locked.is_active:
        raise ValidationError({"is_active": [_("默认模型不能停用；请先把另一个模型设为默认。")]})
    if locked.is_active and not Stage.objects.filter(model=locked).exists():
        raise ValidationError({"is_active": [_("该模型还没有阶段，不能启用。")]})
    if locked.is_active:
        rule_set_check(locked)
    locked.version += 1
    locked.save()
    return locked


RESERVED_MODEL_KEYS = frozenset({"new"})  # /lifecycle/models/new/ is the creation page


@transaction.atomic
def model_create(
    *,
    actor: User,
    key: str,
    name: str,
    description: str = "",
    copy_from: LifecycleModel | None = None,
) -> LifecycleModel:
    """A new lifecycle model, switched off: empty, or a copy of ``copy_from`` (its stages
    and rules, active or not). Nobody is placed in it until it is switched on."""
    _require_admin(actor)
    model = LifecycleModel(
        key=(key or "").strip(),
        name=(name or "").strip(),
        description=(description or "").strip(),
        is_active=False,
        is_default=False,
    )
    errors: dict[str, list[str]] = {}
    try:
        model.full_clean()
    except ValidationError as error:
        errors.update(error.message_dict)
    if model.key in RESERVED_MODEL_KEYS:
        errors.setdefault("key", []).append(_("该标识保留给系统使用。"))
    if errors:
        raise ValidationError(errors)
    last = LifecycleModel.objects.order_by("-position").values_list("position", flat=True).first()
    model.position = min((last or 0) + 1, 32767)
    model.save()
    if copy_from is not None:
        _model_copy(copy_from, model)
    return model


def _model_copy(source: LifecycleModel, target: LifecycleModel) -> None:
    originals = list(Stage.objects.filter(model=source).order_by("position", "pk"))
    copies = Stage.objects.bulk_create(
        Stage(
            model=target,
            key=stage.key,
            name=stage.name,
            color=stage.color,
            description=stage.description,
            position=stage.position,
            kind=stage.kind,
        )
        for stage in originals
    )
    stages = {stage.pk: copy for stage, copy in zip(originals, copies, strict=True)}
    Rule.objects.bulk_create(
        Rule(
            model=target,
            name=rule.name,
            from_stages=list(rule.from_stages or ()),
            to_stage=stages[rule.to_stage_id],
            condition=rule.condition,
            priority=rule.priority,
            is_active=rule.is_active,
            time_dependent=rule.time_dependent,
        )
        for rule in Rule.objects.filter(model=source).order_by("priority", "pk")
    )


@transaction.atomic
def stage_save(
    *, actor: User, model: LifecycleModel, data: Mapping[str, Any], stage: Stage | None = None
) -> Stage:
    """Create or edit a stage (name, colour, description, position, kind)."""
    _require_admin(actor)
    target = stage or Stage(model=model)
    for name in ("key", "name", "color", "description", "position", "kind"):
        if name in data and not (name == "key" and stage is not None):
            setattr(target, name, data[name])
    target.full_clean()
    target.save()
    return target


# --- events ---------------------------------------------------------------------------------


def on_customer_events(event: CustomerEvents) -> None:
    """Subscriber of the customer events: re-evaluate those customers now, in the
    caller's transaction."""
    lifecycle_evaluate(event.customer_ids, now=timezone.now())


EVENT_KINDS = (
    "order_recorded",
    "order_refunded",
    "interaction_logged",
    "interaction_removed",
    "complaint_changed",
    "complaint_closed",
    "survey_answered",
)


def events_subscribe(kinds: Iterable[str] = EVENT_KINDS) -> None:
    from kehu.core.events import subscribe_many

    for kind in kinds:
        subscribe_many(kind, "lifecycle.evaluate", on_customer_events)
