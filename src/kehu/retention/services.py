"""Writes of the retention app: playbooks (with their steps), starting and stopping
runs by hand, a step done. Keyword-only, the actor passed in, one transaction each."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, DecimalField, Exists, F, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.errors import ConflictError
from kehu.core.sql import chunks, values_in
from kehu.coupons.models import CouponTemplate
from kehu.customers.access import can_write, visibility_q
from kehu.customers.models import Customer
from kehu.followups.models import Task, TaskStatus
from kehu.followups.services import task_finish
from kehu.lifecycle.models import Stage
from kehu.messaging.models import MessageTemplate
from kehu.retention.access import access_playbooks, can_start_for
from kehu.retention.models import (
    MAX_HOLDOUT,
    EndReason,
    Outcome,
    OwnerRule,
    Playbook,
    PlaybookRun,
    PlaybookStep,
    RunStep,
    StepKind,
    Trigger,
)
from kehu.retention.outcomes import runs_end
from kehu.retention.report import step_costs
from kehu.retention.starting import Refusal, StartResult, runs_start

PLAYBOOK_FIELDS = (
    "name",
    "description",
    "trigger",
    "risk_threshold",
    "stage_id",
    "include_initial",
    "tier_drop",
    "segment_id",
    "audience_rule",
    "saved_stage_ids",
    "window_days",
    "holdout_percent",
    "cost_per_run",
    "is_active",
)
STEP_FIELDS = ("kind", "title", "template_id", "coupon_id", "due_days", "owner_rule", "owner_id")
MAX_STEPS = 20
SAVED_STAGE_KEYS = ("develop",)  # 发展: the six-phase model's "developing" stage


def default_saved_stages() -> list[int]:
    return list(Stage.objects.filter(key__in=SAVED_STAGE_KEYS).values_list("pk", flat=True))


def _clean_steps(actor: User, steps: Sequence[Mapping[str, Any]]) -> list[PlaybookStep]:
    if not steps:
        raise ValidationError({"steps": [_("至少需要一个步骤。")]})
    if len(steps) > MAX_STEPS:
        raise ValidationError({"steps": [_("步骤最多 %(n)d 个。") % {"n": MAX_STEPS}]})
    made = []
    for order, data in enumerate(steps, start=1):
        unknown = set(data) - set(STEP_FIELDS)
        if unknown:
            raise ValidationError({"steps": [_("未知字段：%s") % ", ".join(sorted(unknown))]})
        step = PlaybookStep(order=order, **{k: v for k, v in data.items() if v is not None})
        step.title = (step.title or "").strip()
        if step.kind not in StepKind.values:
            raise ValidationError({"steps": [_("第 %(n)d 步：类型无效。") % {"n": order}]})
        if step.kind == StepKind.MESSAGE:
            alive = MessageTemplate.objects.filter(deleted_at__isnull=True)
            if step.template_id is None or not alive.filter(pk=step.template_id).exists():
                raise ValidationError(
                    {"steps": [_("第 %(n)d 步：请选择一个未删除的消息模板。") % {"n": order}]}
                )
        else:
            step.template_id = None
        if step.kind == StepKind.COUPON:
            usable = CouponTemplate.objects.filter(is_active=True)
            if step.coupon_id is None or not usable.filter(pk=step.coupon_id).exists():
                raise ValidationError(
                    {"steps": [_("第 %(n)d 步：请选择一个启用的优惠券。") % {"n": order}]}
                )
        else:
            step.coupon_id = None
        if step.owner_rule == OwnerRule.USER:
            if (
                step.owner_id is None
                or not User.objects.filter(pk=step.owner_id, is_active=True).exists()
            ):
                raise ValidationError(
                    {"steps": [_("第 %(n)d 步：请指定一个在职的负责人。") % {"n": order}]}
                )
        else:
            step.owner_id = None
        try:
            step.full_clean(exclude=["playbook"])
        except ValidationError as error:
            messages = [f"{order}: {m}" for ms in error.message_dict.values() for m in ms]
            raise ValidationError({"steps": messages}) from None
        made.append(step)
    return made


def _clean(actor: User, playbook: Playbook, data: Mapping[str, Any]) -> None:
    unknown = set(data) - set(PLAYBOOK_FIELDS)
    if unknown:
        raise ValidationError({key: [_("未知字段。")] for key in sorted(unknown)})
    for key, value in data.items():
        setattr(playbook, key, value.strip() if isinstance(value, str) else value)
    errors: dict[str, list[str]] = {}
    if playbook.trigger == Trigger.CHURN_RISK and playbook.risk_threshold is None:
        errors["risk_threshold"] = [_("按流失风险触发时请填写阈值。")]
    if playbook.trigger == Trigger.STAGE and playbook.stage_id is None:
        errors["stage_id"] = [_("按阶段触发时请选择阶段。")]
    if playbook.trigger == Trigger.SEGMENT and playbook.segment_id is None:
        errors["segment_id"] = [_("按客户分群触发时请选择分群。")]
    if playbook.stage_id is not None and not Stage.objects.filter(pk=playbook.stage_id).exists():
        errors["stage_id"] = [_("阶段不存在。")]
    if playbook.segment_id is not None:
        from django.http import Http404

        from kehu.segments.access import access_segment

        try:
            access_segment(actor, playbook.segment_id)
        except Http404:
            errors["segment_id"] = [_("分群不存在。")]
    if playbook.audience_rule:
        from kehu.segments.audience import rule_errors

        problems = rule_errors(playbook.audience_rule)
        if problems:
            errors["audience_rule"] = [str(p) for p in problems]
    if not isinstance(playbook.saved_stage_ids, list) or not all(
        isinstance(pk, int) for pk in playbook.saved_stage_ids
    ):
        errors["saved_stage_ids"] = [_("应为阶段编号的列表。")]
    if playbook.holdout_percent is not None and not 0 <= playbook.holdout_percent <= MAX_HOLDOUT:
        errors["holdout_percent"] = [_("对照组比例应在 0–50% 之间。")]
    if errors:
        raise ValidationError(errors)
    playbook.full_clean(exclude=["created_by", "updated_by", "stage", "segment"])


@transaction.atomic
def playbook_create(
    *, actor: User, data: Mapping[str, Any], steps: Sequence[Mapping[str, Any]]
) -> Playbook:
    access_playbooks(actor, write=True)
    playbook = Playbook(created_by=actor, updated_by=actor)
    if "saved_stage_ids" not in data:
        playbook.saved_stage_ids = default_saved_stages()
    _clean(actor, playbook, data)
    made = _clean_steps(actor, steps)
    playbook.save()
    for step in made:
        step.playbook = playbook
    PlaybookStep.objects.bulk_create(made)
    return playbook


@transaction.atomic
def playbook_update(
    *,
    actor: User,
    playbook: Playbook,
    version: int,
    data: Mapping[str, Any],
    steps: Sequence[Mapping[str, Any]] | None = None,
) -> Playbook:
    """Change ``playbook`` (and replace its steps, when given); ``version`` is the one
    the editor read: a change made meanwhile is refused. Runs already started keep
    their steps."""
    access_playbooks(actor, write=True)
    fresh = Playbook.objects.select_for_update().get(pk=playbook.pk)
    if fresh.version != version:
        raise ConflictError(
            _("该方案已被他人修改（当前为第 %(version)d 版），请刷新后重试。")
            % {"version": fresh.version},
            details={"current_version": fresh.version},
        )
    _clean(actor, fresh, data)
    made = _clean_steps(actor, steps) if steps is not None else None
    fresh.version += 1
    fresh.updated_by = actor
    fresh.save()
    if made is not None:
        kept = list(fresh.steps.all())
        for old, new in zip(kept, made, strict=False):
            new.pk = old.pk
        for step in made:
            step.playbook = fresh
            step.save()
        fresh.steps.exclude(pk__in=[s.pk for s in made]).delete()
    return fresh


def _startable_ids(actor: User, customer_ids: Iterable[int]) -> tuple[list[int], list[int]]:
    """Of ``customer_ids``, those ``actor`` may start for, and the others."""
    ids = sorted({int(pk) for pk in customer_ids})
    rows = Customer.objects.alive().filter(visibility_q(actor), pk__in=ids).only("owner", "team")
    allowed = {c.pk for c in rows if can_write(actor, c)}
    return [pk for pk in ids if pk in allowed], [pk for pk in ids if pk not in allowed]


def playbook_start(
    *,
    actor: User,
    playbook: Playbook,
    customer_ids: Iterable[int],
    rng: random.Random | None = None,
) -> StartResult:
    """Start ``playbook`` by hand for the customers ``actor`` may change (the others
    are refused as not found). The audience filter does not apply: a person chose them."""
    access_playbooks(actor, write=True)
    allowed, refused = _startable_ids(actor, customer_ids)
    result = runs_start(
        playbook=playbook,
        customer_ids=allowed,
        actor=actor,
        trigger=Trigger.MANUAL,
        rng=rng,
        check_audience=False,
    )
    for pk in refused:
        result.refused[pk] = Refusal.NOT_FOUND
    return result


@transaction.atomic
def run_stop(*, actor: User, run: PlaybookRun, reason: str) -> PlaybookRun:
    """Stop an open run by hand, with a reason."""
    if not can_start_for(actor, run.customer):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("请填写停止原因。")]})
    if len(reason) > 500:
        raise ValidationError({"reason": [_("停止原因最多 500 个字符。")]})
    ended = runs_end(
        [run.pk], outcome=Outcome.STOPPED, reason=EndReason.BY_HAND, actor_id=actor.pk, note=reason
    )
    if not ended:
        raise ConflictError(_("该挽留方案已经结束。"), details={"reason": "ended"})
    run.refresh_from_db()
    return run


def steps_sync(run_ids: Sequence[int] | None = None) -> int:
    """Copy the finish of the steps' tasks (done or skipped in 我的工作) to the steps,
    and the runs' costs with them."""
    steps = RunStep.objects.filter(
        done_at__isnull=True, task__status__in=(TaskStatus.DONE, TaskStatus.SKIPPED)
    )
    if run_ids is not None:
        steps = steps.filter(run_id__in=list(run_ids))
    touched = sorted(set(steps.values_list("run_id", flat=True)))
    task = Task.objects.filter(pk=OuterRef("task_id"))
    count = steps.update(
        done_at=Subquery(task.values("done_at")[:1]),
        skipped=Exists(task.filter(status=TaskStatus.SKIPPED)),
        result=Subquery(task.values("result")[:1]),
    )
    runs_cost_update(touched)
    return count


def runs_cost_update(run_ids: Sequence[int]) -> None:
    """Each run's cost: its extra cost plus its done steps priced by kind."""
    prices = step_costs()
    price = Case(
        *(When(kind=kind, then=Value(amount)) for kind, amount in prices.items()),
        default=Value(Decimal("0")),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )
    done = (
        RunStep.objects.filter(run_id=OuterRef("pk"), done_at__isnull=False, skipped=False)
        .order_by()
        .values("run_id")
        .annotate(total=Sum(price))
        .values("total")
    )
    for chunk in chunks(list(run_ids), 2000):
        PlaybookRun.objects.filter(pk__in=values_in(list(chunk), "int")).update(
            cost=F("extra_cost")
            + Coalesce(
                Subquery(done, output_field=DecimalField(max_digits=14, decimal_places=2)),
                Value(Decimal("0")),
            )
        )


@transaction.atomic
def step_finish(*, actor: User, step: RunStep, done: bool = True, result: str = "") -> RunStep:
    """Mark a step done (or skipped) with its result, through its task (the task's own
    rules say who may)."""
    if step.done_at is not None:
        raise ConflictError(_("该步骤已经处理过了。"), details={"reason": "finished"})
    status = TaskStatus.DONE if done else TaskStatus.SKIPPED
    if step.task_id is not None:
        task = Task.objects.select_related("assignee", "customer").get(pk=step.task_id)
        task_finish(actor=actor, task=task, status=status, result=result)
    elif not can_start_for(actor, step.run.customer):
        raise PermissionDenied
    RunStep.objects.filter(pk=step.pk).update(
        done_at=timezone.now(), skipped=not done, result=(result or "").strip()[:5000]
    )
    PlaybookRun.objects.filter(pk=step.run_id).update(version=F("version") + 1)
    runs_cost_update([step.run_id])
    step.refresh_from_db()
    return step
