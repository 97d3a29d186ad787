"""Starting a playbook for many customers at once: one run each, a random share held
out, the steps of the others as follow-up tasks in 我的工作 — a few queries per chunk of
customers, whatever started it (a stage event, the nightly triggers, a person).

A customer with an open run is refused (``ALREADY_OPEN``): a customer has at most one
open run, and the partial unique index ``playbookrun_one_open`` holds it against two
starts at the same moment (the loser's rows are left out, nothing else changes).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import Role, User
from kehu.core.sql import chunks, values_in
from kehu.coupons.models import CouponSource
from kehu.coupons.services import coupon_issue_result
from kehu.customers.models import Customer
from kehu.followups.models import Task, TaskKind, TaskPurpose
from kehu.lifecycle.models import CustomerStage
from kehu.orders.models import Order, OrderStatus
from kehu.retention.models import (
    OwnerRule,
    Playbook,
    PlaybookRun,
    PlaybookStep,
    RunStep,
    StepKind,
    Trigger,
)
from kehu.retention.texts import STEP_MESSAGE
from kehu.value.models import CustomerValue
from kehu.value.selectors import run_latest_good

log = logging.getLogger(__name__)
CHUNK = 2000
PAID = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)
TASK_KINDS: dict[str, str] = {
    StepKind.CALL: TaskKind.CALL,
    StepKind.VISIT: TaskKind.VISIT,
}


class Refusal:
    ALREADY_OPEN = "already_open"  # the customer has an open run (of any playbook)
    NOT_FOUND = "not_found"  # no such customer, deleted, or not the actor's to start for
    AUDIENCE = "audience"  # outside the playbook's audience
    INACTIVE = "inactive"  # the playbook is switched off


def refusal_text(code: str) -> str:
    return {
        Refusal.ALREADY_OPEN: _("该客户已有进行中的挽留方案，未重复启动。"),
        Refusal.NOT_FOUND: _("客户不存在或无权操作。"),
        Refusal.AUDIENCE: _("客户不在方案的受众范围内。"),
        Refusal.INACTIVE: _("方案已停用。"),
    }.get(code, code)


@dataclass
class StartResult:
    started: list[int] = field(default_factory=list)  # customer ids
    held_out: list[int] = field(default_factory=list)  # of those, held out
    refused: dict[int, str] = field(default_factory=dict)  # customer id → Refusal

    def merge(self, other: StartResult) -> None:
        self.started += other.started
        self.held_out += other.held_out
        self.refused.update(other.refused)


def playbook_check_startable(playbook: Playbook) -> None:
    """A message step whose template was deleted stops the playbook from starting (a
    clear message, nothing created)."""
    for step in playbook.steps.select_related("template", "coupon"):
        if step.kind == StepKind.MESSAGE and (
            step.template is None or step.template.deleted_at is not None
        ):
            raise ValidationError(
                _("第 %(order)s 步的消息模板已删除，请先修改方案。") % {"order": step.order}
            )
        if step.kind == StepKind.COUPON and (step.coupon is None or not step.coupon.is_active):
            raise ValidationError(
                _("第 %(order)s 步的优惠券已停用或删除，请先修改方案。") % {"order": step.order}
            )
        if step.owner_rule == OwnerRule.USER and (step.owner is None or not step.owner.is_active):
            raise ValidationError(
                _("第 %(order)s 步的指定负责人已停用，请先修改方案。") % {"order": step.order}
            )


def audience_q(playbook: Playbook, now: dt.datetime) -> Q:
    """The playbook's audience as a filter over Customer rows (everyone without one)."""
    from kehu.segments.audience import rule_filter, segment_q

    q = Q()
    if playbook.segment_id is not None and playbook.segment is not None:
        if playbook.segment.deleted_at is not None:
            return Q(pk__in=[])
        q &= segment_q(playbook.segment, now)
    if playbook.audience_rule:
        q &= Q(rule_filter(playbook.audience_rule, now))
    return q


def values_now(customer_ids: Sequence[int], now: dt.datetime) -> dict[int, tuple[Decimal, str]]:
    """Each customer's value (CLV of the latest scoring, else net revenue of the last 12
    months) and the churn warning's first reason code."""
    found: dict[int, tuple[Decimal, str]] = {}
    run = run_latest_good()
    if run is not None:
        for customer_id, clv, reasons in CustomerValue.objects.filter(
            run=run, customer_id__in=values_in(list(customer_ids), "int")
        ).values_list("customer_id", "clv", "reasons"):
            code = ""
            if isinstance(reasons, list) and reasons and isinstance(reasons[0], dict):
                code = str(reasons[0].get("code", ""))[:40]
            if clv is not None:
                found[customer_id] = (Decimal(clv), code)
            else:
                found[customer_id] = (Decimal("-1"), code)
    missing = [pk for pk in customer_ids if pk not in found or found[pk][0] < 0]
    if missing:
        revenue = dict(
            Order.objects.filter(
                customer_id__in=values_in(missing, "int"),
                status__in=PAID,
                ordered_at__gte=now - dt.timedelta(days=365),
                ordered_at__lte=now,
            )
            .values("customer_id")
            .annotate(total=Sum("total"))
            .values_list("customer_id", "total")
        )
        for pk in missing:
            code = found.get(pk, (Decimal(0), ""))[1]
            found[pk] = (Decimal(revenue.get(pk) or 0), code)
    return found


def _managers(team_ids: Iterable[int]) -> dict[int, int]:
    """Each team's manager (the first active one by id)."""
    managers: dict[int, int] = {}
    for team_id, user_id in (
        User.objects.filter(team_id__in=set(team_ids), role=Role.MANAGER, is_active=True)
        .order_by("team_id", "id")
        .values_list("team_id", "id")
    ):
        managers.setdefault(team_id, user_id)
    return managers


def _stages(customer_ids: Sequence[int]) -> dict[int, int]:
    """Each customer's stage in the default lifecycle model."""
    return dict(
        CustomerStage.objects.filter(
            customer_id__in=values_in(list(customer_ids), "int"), model__is_default=True
        ).values_list("customer_id", "stage_id")
    )


def runs_start(
    *,
    playbook: Playbook,
    customer_ids: Iterable[int],
    actor: User | None = None,
    trigger: str | None = None,
    now: dt.datetime | None = None,
    rng: random.Random | None = None,
    check_audience: bool = True,
) -> StartResult:
    """Start ``playbook`` for ``customer_ids`` (alive ones); see the module's doc."""
    now = now or timezone.now()
    rng = rng or random.SystemRandom()
    ids = sorted({int(pk) for pk in customer_ids})
    result = StartResult()
    if not playbook.is_active:
        result.refused = dict.fromkeys(ids, Refusal.INACTIVE)
        return result
    playbook_check_startable(playbook)
    steps = list(playbook.steps.select_related("template", "coupon").order_by("order", "id"))
    audience = audience_q(playbook, now) if check_audience else Q()
    for chunk in chunks(ids, CHUNK):
        with transaction.atomic():
            result.merge(
                _start_chunk(playbook, steps, list(chunk), actor, trigger, now, rng, audience)
            )
    return result


def _start_chunk(
    playbook: Playbook,
    steps: list[PlaybookStep],
    ids: list[int],
    actor: User | None,
    trigger: str | None,
    now: dt.datetime,
    rng: random.Random,
    audience: Q,
) -> StartResult:
    result = StartResult()
    alive = Customer.objects.alive().filter(pk__in=values_in(ids, "int"))
    known = {
        row[0]: row
        for row in alive.values_list("pk", "name", "owner_id", "team_id", "owner__team_id")
    }
    for pk in ids:
        if pk not in known:
            result.refused[pk] = Refusal.NOT_FOUND
    if audience != Q() and known:
        inside = set(alive.filter(audience).values_list("pk", flat=True))
        for pk in list(known):
            if pk not in inside:
                result.refused[pk] = Refusal.AUDIENCE
                del known[pk]
    if known:
        busy = set(
            PlaybookRun.objects.filter(
                customer_id__in=values_in(list(known), "int"), outcome="open"
            ).values_list("customer_id", flat=True)
        )
        for pk in busy:
            result.refused[pk] = Refusal.ALREADY_OPEN
            del known[pk]
    if not known:
        return result
    customer_ids = sorted(known)
    values = values_now(customer_ids, now)
    stages = _stages(customer_ids)
    share = playbook.holdout_percent / 100
    window_ends = now + dt.timedelta(days=playbook.window_days)
    runs = [
        PlaybookRun(
            playbook=playbook,
            customer_id=pk,
            held_out=share > 0 and rng.random() < share,
            started_at=now,
            window_ends_at=window_ends,
            started_by=actor,
            trigger=trigger or playbook.trigger,
            owner_id=known[pk][2],
            team_id=known[pk][3],
            stage_id=stages.get(pk),
            churn_reason=values.get(pk, (Decimal(0), ""))[1],
            value_before=values.get(pk, (Decimal(0), ""))[0],
            extra_cost=playbook.cost_per_run,
            cost=playbook.cost_per_run,
        )
        for pk in customer_ids
    ]
    # Two starts at once for one customer: the unique index keeps one, the other's row
    # is left out here (and reported as already open).
    PlaybookRun.objects.bulk_create(runs, ignore_conflicts=True)
    created = {
        customer_id: (run_id, held_out)
        for run_id, customer_id, held_out in PlaybookRun.objects.filter(
            playbook=playbook,
            started_at=now,
            customer_id__in=values_in(customer_ids, "int"),
            outcome="open",
        ).values_list("pk", "customer_id", "held_out")
    }
    for pk in customer_ids:
        if pk not in created:
            result.refused[pk] = Refusal.ALREADY_OPEN
        else:
            result.started.append(pk)
            if created[pk][1]:
                result.held_out.append(pk)
    treated = [(pk, created[pk][0]) for pk in result.started if not created[pk][1]]
    if treated and steps:
        _steps_create(playbook, steps, treated, known, actor, now)
        _coupons_give(playbook, steps, [pk for pk, _run in treated], actor)
    return result


def _coupons_give(
    playbook: Playbook, steps: list[PlaybookStep], customer_ids: list[int], actor: User | None
) -> None:
    """A coupon step gives its coupon when the run starts (the held-out get none); its
    task tells the owner to tell the customer. Given as the one who started the run, or
    the playbook's author for a triggered start: the author chose the coupon. A
    template's per-customer limit leaves a customer out; a refusal (the template
    switched off meanwhile) is logged and never undoes the start."""
    giver = actor or playbook.created_by
    for step in steps:
        if step.kind != StepKind.COUPON or step.coupon is None or giver is None:
            continue
        try:
            with transaction.atomic():
                coupon_issue_result(
                    actor=giver,
                    template=step.coupon,
                    customer_ids=customer_ids,
                    source=CouponSource.PLAYBOOK,
                    source_id=playbook.pk,
                )
        except (ValidationError, PermissionDenied) as error:
            log.warning("playbook %s: coupon step %s not given: %s", playbook.pk, step.pk, error)


def _steps_create(
    playbook: Playbook,
    steps: list[PlaybookStep],
    treated: list[tuple[int, int]],
    known: dict[int, Any],
    actor: User | None,
    now: dt.datetime,
) -> None:
    """A ``RunStep`` and a follow-up task per step per treated run (two inserts)."""
    managers = _managers(row[4] or row[3] for row in known.values() if row[4] or row[3])
    fallback = actor.pk if actor is not None else playbook.created_by_id
    plan: list[tuple[int, PlaybookStep, int | None, dt.datetime]] = []
    tasks: list[Task] = []
    for customer_id, run_id in treated:
        _pk, name, owner_id, team_id, owner_team_id = known[customer_id]
        manager_id = managers.get(owner_team_id or team_id or 0)
        for step in steps:
            if step.owner_rule == OwnerRule.USER:
                assignee = step.owner_id
            elif step.owner_rule == OwnerRule.TEAM_MANAGER:
                assignee = manager_id or owner_id
            else:
                assignee = owner_id or manager_id
            assignee = assignee or fallback
            due_at = now + dt.timedelta(days=step.due_days)
            plan.append((run_id, step, assignee, due_at))
            if assignee is None:
                continue
            tasks.append(
                Task(
                    customer_id=customer_id,
                    assignee_id=assignee,
                    kind=TASK_KINDS.get(step.kind, TaskKind.OTHER),
                    purpose=TaskPurpose.RETENTION,
                    title="",
                    message=STEP_MESSAGE,
                    params={
                        "playbook": playbook.name,
                        "kind": step.kind,
                        "title": step.title,
                        "template": step.template.name if step.template else "",
                        "coupon": step.coupon.name if step.coupon else "",
                        "customer": name,
                    },
                    due_at=due_at,
                    created_by=actor,
                )
            )
    made = iter(Task.objects.bulk_create(tasks))
    rows = []
    for run_id, step, assignee, due_at in plan:
        task = next(made) if assignee is not None else None
        rows.append(
            RunStep(
                run_id=run_id,
                step=step,
                order=step.order,
                kind=step.kind,
                due_at=due_at,
                owner_id=assignee,
                task=task,
            )
        )
    RunStep.objects.bulk_create(rows)


def trigger_for(playbook: Playbook) -> str:
    return playbook.trigger or Trigger.MANUAL
