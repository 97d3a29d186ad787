"""Evaluating customers against the active lifecycle models and writing the changes.

``lifecycle_evaluate(ids, now=...)`` is the one entry point: the event handlers (an
order recorded, a refund, an interaction, a complaint, a survey answer), the daily job,
the recompute command and the demo all call it. It is deterministic and idempotent:
the same facts give the same stage, and a second run writes nothing.

Per model and customer: start from the current stage (a customer not yet in the model
starts at its first stage, with its whole history "in" that stage), apply the first
matching rule in priority order, and repeat until no rule moves the customer (bounded
by the number of stages; ``rules.check_rule_set`` refuses rule sets that could go round
in a circle). A real move resets the stage facts (``days_in_stage`` and
``orders_since_stage`` are 0 right after it), so a customer won back into 发展 stays
there until the next purchase. The result is at most one ``StageChange`` per model
and customer per evaluation — "initial" for the first placement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from kehu.core.sql import datetime_adapter, rows_insert, values_in
from kehu.lifecycle import rules as rulebook
from kehu.lifecycle.facts import CustomerFacts, customer_facts_many, customer_facts_range
from kehu.lifecycle.models import (
    CustomerStage,
    LifecycleModel,
    Rule,
    Stage,
    StageChange,
    StageChangeKind,
)

DAY = 86400.0
WRITE_BATCH = 2000


@dataclass
class Plan:
    """One model, ready to evaluate: its stages and active rules in priority order."""

    model: LifecycleModel
    stages: list[Stage]
    rules: list[rulebook.RuleSpec]
    stage_by_key: dict[str, Stage] = field(init=False)
    stage_key_by_id: dict[int, str] = field(init=False)

    def __post_init__(self) -> None:
        self.stage_by_key = {stage.key: stage for stage in self.stages}
        self.stage_key_by_id = {stage.pk: stage.key for stage in self.stages}

    @property
    def first(self) -> str:
        return self.stages[0].key

    def facts_used(self) -> set[str]:
        used: set[str] = set()
        for rule in self.rules:
            used |= rulebook.facts_used(rule.condition)
        return used


def facts_needed(plans: Sequence[Plan]) -> set[str]:
    """The facts the plans' rules read (the others need not be queried)."""
    needed: set[str] = set()
    for plan in plans:
        needed |= plan.facts_used()
    return needed


def rule_spec(rule: Rule, stage_keys: dict[int, str]) -> rulebook.RuleSpec:
    return rulebook.RuleSpec(
        id=rule.pk or 0,
        name=rule.name,
        from_stages=tuple(rule.from_stages or ()),
        to_stage=stage_keys.get(rule.to_stage_id, "?"),
        condition=rule.condition,
        priority=rule.priority,
    )


_cache: dict[str, Any] = {"stamp": None, "plans": None}


def _stamp() -> tuple[Any, ...]:
    """Changes whenever a model, stage or rule is saved, added or deleted (one query)."""
    tables = [m._meta.db_table for m in (LifecycleModel, Stage, Rule)]
    parts = [f"(SELECT MAX(updated_at) FROM {t}), (SELECT COUNT(*) FROM {t})" for t in tables]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        row = cursor.fetchone()
    return tuple(row or ())


def plans_active() -> list[Plan]:
    """``plans_load()`` of the active models, kept while nothing in them changes: the
    event-driven path (one order) then costs one small query instead of three."""
    stamp = _stamp()
    if _cache["stamp"] != stamp or _cache["plans"] is None:
        _cache["plans"] = plans_load()
        _cache["stamp"] = stamp
    plans: list[Plan] = _cache["plans"]
    return plans


def plans_load(models: Iterable[str] | None = None, *, active_only: bool = True) -> list[Plan]:
    """The models to evaluate (the active ones, or those ``models`` names), each with
    its stages and active rules; a model without stages is skipped."""
    query = LifecycleModel.objects.order_by("position", "pk")
    if models is not None:
        query = query.filter(key__in=list(models))
    elif active_only:
        query = query.filter(is_active=True)
    found = list(query)
    if not found:
        return []
    stages: dict[int, list[Stage]] = {}
    for stage in Stage.objects.filter(model__in=found).order_by("position", "pk"):
        stages.setdefault(stage.model_id, []).append(stage)
    keys = {stage.pk: stage.key for group in stages.values() for stage in group}
    rules: dict[int, list[rulebook.RuleSpec]] = {}
    for rule in Rule.objects.filter(model__in=found, is_active=True).order_by("priority", "pk"):
        rules.setdefault(rule.model_id, []).append(rule_spec(rule, keys))
    return [
        Plan(model, stages[model.pk], rulebook.ordered(rules.get(model.pk, [])))
        for model in found
        if stages.get(model.pk)
    ]


@dataclass
class Current:
    stage_key: str
    since: float


@dataclass
class Decision:
    to_stage: str
    steps: list[tuple[str, rulebook.RuleSpec, dict[str, Any]]]  # (from, rule, facts then)


def _state(facts: CustomerFacts, current: Current | None, now: float) -> dict[str, Any]:
    state = dict(facts.facts)
    if current is None:
        # Not in the model yet: the customer's whole history counts as "in" the stage.
        state["days_in_stage"] = state.get("days_since_created")
        state["orders_since_stage"] = state.get("orders_count", 0)
    else:
        state["days_in_stage"] = max(0, int((now - current.since) // DAY))
        state["orders_since_stage"] = sum(1 for at in facts.purchases if at > current.since)
    return state


def decide(
    plan: Plan, facts: CustomerFacts, current: Current | None, now: float
) -> Decision | None:
    """Where the rules put the customer, or None when it stays where it is."""
    stage = current.stage_key if current is not None else plan.first
    if stage not in plan.stage_by_key:
        stage = plan.first
    state = _state(facts, current, now)
    steps: list[tuple[str, rulebook.RuleSpec, dict[str, Any]]] = []
    for _step in range(len(plan.stages) + 1):
        chosen = None
        for rule in plan.rules:
            if rule.applies_from(stage) and rulebook.holds(rule.condition, state):
                chosen = rule
                break
        if chosen is None or chosen.to_stage == stage or chosen.to_stage not in plan.stage_by_key:
            break
        steps.append((stage, chosen, dict(state)))
        stage = chosen.to_stage
        if current is not None:
            state["days_in_stage"] = 0
            state["orders_since_stage"] = 0
    if current is not None and stage == current.stage_key:
        return None
    return Decision(stage, steps)


def _translator() -> Callable[[str], str]:
    """``gettext`` remembered for one evaluation (a batch explains thousands of moves
    with the same few dozen phrases; the language does not change meanwhile)."""
    known: dict[str, str] = {}

    def translate(message: str) -> str:
        found = known.get(message)
        if found is None:
            found = known[message] = _(message)
        return found

    return translate


def _explain(
    decision: Decision, initial: bool, translate: Callable[[str], str] = _
) -> tuple[str, dict[str, Any], rulebook.RuleSpec | None]:
    parts: list[str] = []
    used: dict[str, Any] = {}
    for _from, rule, state in decision.steps:
        _matched, facts = rulebook.evaluate(rule.condition, state)
        used.update(facts)
        why = rulebook.explain(rule.condition, state, translate)
        parts.append(f"{rule.name}：{why}" if why else rule.name)
    if initial:
        parts.insert(0, _("纳入生命周期模型"))
    reason = " → ".join(parts) if parts else _("纳入生命周期模型")
    last = decision.steps[-1][1] if decision.steps else None
    return reason, used, last


def _current(ids: Sequence[int], plans: Sequence[Plan]) -> dict[tuple[int, int], CustomerStage]:
    found: dict[tuple[int, int], CustomerStage] = {}
    models = [plan.model.pk for plan in plans]
    for start in range(0, len(ids), 5000):
        chunk = values_in(ids[start : start + 5000], "int")
        for row in CustomerStage.objects.filter(customer_id__in=chunk, model_id__in=models):
            found[(row.customer_id, row.model_id)] = row
    return found


def _current_range(
    ids: Sequence[int], plans: Sequence[Plan]
) -> dict[tuple[int, int], CustomerStage]:
    if not ids:
        return {}
    rows = CustomerStage.objects.filter(
        customer_id__gte=ids[0],
        customer_id__lte=ids[-1],
        model_id__in=[plan.model.pk for plan in plans],
    )
    return {(row.customer_id, row.model_id): row for row in rows}


def _evaluate(
    facts: dict[int, CustomerFacts],
    current: dict[tuple[int, int], CustomerStage],
    plans: Sequence[Plan],
    now: dt.datetime,
) -> int:
    now_ts = now.timestamp()
    translate = _translator()
    changes: list[dict[str, Any]] = []
    placed: list[CustomerStage | None] = []
    for customer_id in sorted(facts):
        customer_facts = facts[customer_id]
        for plan in plans:
            row = current.get((customer_id, plan.model.pk))
            state = None
            if row is not None:
                key = plan.stage_key_by_id.get(row.stage_id)
                state = Current(key, row.since.timestamp()) if key else None
            decision = decide(plan, customer_facts, state, now_ts)
            if decision is None:
                continue
            reason, used, rule = _explain(decision, initial=row is None, translate=translate)
            changes.append(
                {
                    "customer_id": customer_id,
                    "model_id": plan.model.pk,
                    "from_stage_id": row.stage_id if row is not None else None,
                    "to_stage_id": plan.stage_by_key[decision.to_stage].pk,
                    "at": now,
                    "kind": StageChangeKind.INITIAL if row is None else StageChangeKind.RULE,
                    "rule_id": rule.id if rule is not None and rule.id else None,
                    "reason": reason,
                    "facts": used,
                }
            )
            placed.append(row)
    if not changes:
        return 0
    with transaction.atomic(savepoint=False):
        change_ids = _changes_insert(changes, now)
        new: list[dict[str, Any]] = []
        moved: list[CustomerStage] = []
        for row, change in zip(placed, changes, strict=True):
            change_id = change_ids[(change["customer_id"], change["model_id"])]
            if row is None:
                new.append(
                    {
                        "customer_id": change["customer_id"],
                        "model_id": change["model_id"],
                        "stage_id": change["to_stage_id"],
                        "since": now,
                        "change_id": change_id,
                    }
                )
            else:
                row.stage_id = change["to_stage_id"]
                row.since = now
                row.change_id = change_id
                moved.append(row)
        rows_insert(CustomerStage, new)
        _stages_move(moved, now)
    return len(changes)


def _changes_insert(
    changes: Sequence[dict[str, Any]], now: dt.datetime
) -> dict[tuple[int, int], int]:
    """Insert the changes (one ``executemany``) and read their ids back: the newest
    change of each (customer, model) at ``now`` above the largest id before."""
    before = StageChange.objects.aggregate(last=Max("pk"))["last"] or 0
    rows_insert(StageChange, changes)
    customers = sorted({c["customer_id"] for c in changes})
    ids: dict[tuple[int, int], int] = {}
    written = StageChange.objects.filter(
        pk__gt=before, at=now, customer_id__in=values_in(customers, "int")
    ).values_list("customer_id", "model_id", "pk")
    for customer_id, model_id, pk in written:
        key = (customer_id, model_id)
        ids[key] = max(pk, ids.get(key, 0))
    return ids


def _stages_move(moved: Sequence[CustomerStage], now: dt.datetime) -> None:
    """Point the moved customers' current-stage rows at their new change: one
    ``executemany`` (an ORM ``update()`` per row cost more than the evaluation)."""
    if not moved:
        return
    quote = connection.ops.quote_name
    table = quote(CustomerStage._meta.db_table)
    at = datetime_adapter()(now)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET stage_id = %s, since = %s, change_id = %s WHERE id = %s",
            [(row.stage_id, at, row.change_id, row.pk) for row in moved],
        )


def lifecycle_evaluate(
    customer_ids: Iterable[int],
    *,
    now: dt.datetime,
    models: Iterable[str] | None = None,
    plans: Sequence[Plan] | None = None,
) -> int:
    """Re-evaluate ``customer_ids`` in the active models (or ``models`` by key) as of
    ``now``; write a change (and the current stage) only where the stage changes.
    Returns the number of changes written."""
    ids = sorted(set(customer_ids))
    if not ids:
        return 0
    if plans is None:
        plans = plans_active() if models is None else plans_load(models)
    if not plans:
        return 0
    facts = customer_facts_many(ids, now=now, needed=facts_needed(plans))
    return _evaluate(facts, _current(list(facts), plans), plans, now)


def lifecycle_evaluate_range(
    customer_ids: Sequence[int], *, now: dt.datetime, plans: Sequence[Plan]
) -> int:
    """``lifecycle_evaluate`` for a sorted run of ids, reading by id range (recompute)."""
    if not customer_ids or not plans:
        return 0
    facts = customer_facts_range(customer_ids, now=now, needed=facts_needed(plans))
    return _evaluate(facts, _current_range(customer_ids, plans), plans, now)


def rule_preview(
    rule: rulebook.RuleSpec,
    plan: Plan,
    *,
    now: dt.datetime,
    chunk: int = 2000,
    samples: list[int] | None = None,
    sample_size: int = 10,
) -> dict[str, int]:
    """How many customers a draft rule would move today, without writing: the draft
    replaces the rule of the same id (or joins the rules) and every customer is
    evaluated; counts of customers whose stage would differ from now, per target.
    The ids of the first ``sample_size`` such customers are appended to ``samples``."""
    from kehu.customers.models import Customer

    rules = [spec for spec in plan.rules if spec.id != rule.id or not rule.id] + [rule]
    draft = Plan(plan.model, plan.stages, rulebook.ordered(rules))
    now_ts = now.timestamp()
    moved: dict[str, int] = {}
    ids = list(Customer.objects.alive().order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), chunk):
        run = ids[start : start + chunk]
        facts = customer_facts_range(run, now=now)
        current = _current_range(run, [plan])
        for customer_id, customer_facts in facts.items():
            row = current.get((customer_id, plan.model.pk))
            state = None
            if row is not None:
                key = plan.stage_key_by_id.get(row.stage_id)
                state = Current(key, row.since.timestamp()) if key else None
            before = decide(plan, customer_facts, state, now_ts)
            after = decide(draft, customer_facts, state, now_ts)
            if after is None or (before is not None and before.to_stage == after.to_stage):
                continue
            if any(step[1] is rule for step in after.steps):
                moved[after.to_stage] = moved.get(after.to_stage, 0) + 1
                if samples is not None and len(samples) < sample_size:
                    samples.append(customer_id)
    return moved


@dataclass
class RecomputeResult:
    customers: int = 0
    changes: int = 0


def lifecycle_recompute(
    *,
    now: dt.datetime,
    models: Iterable[str] | None = None,
    chunk: int = 5000,
    progress: Callable[[int], object] | None = None,
    customer_ids: Sequence[int] | None = None,
) -> RecomputeResult:
    """Re-evaluate every customer (or ``customer_ids``), ``chunk`` ids at a time in id
    order, each run in its own transaction: safe to stop and start again (a second run
    writes nothing)."""
    from kehu.customers.models import Customer

    plans = plans_load(models)
    result = RecomputeResult()
    if not plans:
        return result
    after = 0
    customers = Customer.objects.alive().order_by("pk")
    if customer_ids is not None:
        customers = customers.filter(pk__in=list(customer_ids))
    while True:
        run = list(customers.filter(pk__gt=after).values_list("pk", flat=True)[:chunk])
        if not run:
            return result
        with transaction.atomic():
            result.changes += lifecycle_evaluate_range(run, now=now, plans=plans)
        result.customers += len(run)
        after = run[-1]
        if progress is not None:
            progress(len(run))
