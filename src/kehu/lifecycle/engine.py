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

A change is written with why it happened as data (``StageChange.explanation``, the
facts beside it), never as words: the evaluation runs in whatever language a job or a
request has, the reason is read in its reader's (``rules.explanation_text``).
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any

import numpy as np
from django.db import connection, transaction

from kehu.core.sql import chunks, datetime_adapter, rows_insert, values_in, values_insert_returning
from kehu.lifecycle import rules as rulebook
from kehu.lifecycle.events import stage_entered_emit
from kehu.lifecycle.facts import (
    SET_FACTS,
    Bools,
    FactTable,
    Floats,
    Ints,
    epochs,
    fact_table,
    plain,
)
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
EXPLANATIONS_KEPT = 5_000  # each holds an explanation and its facts (~1 KB)
# A rule preview runs in the editor's request: up to this many customers are evaluated
# (~2 s on SQLite at 100,000 customers); a larger book is estimated from a random sample
# of this size (every customer of a million, ~10× that, nears a web worker's timeout).
PREVIEW_LIMIT = 100_000
PREVIEW_SEED = 20_260_101  # the same sample each time: the same draft, the same estimate
# A change as written, in this order (``_changes_insert``).
CHANGE_FIELDS = (
    "customer",
    "model",
    "from_stage",
    "to_stage",
    "at",
    "kind",
    "rule",
    "actor",
    "reason",
    "explanation",
    "facts",
)


@dataclass
class Plan:
    """One model, ready to evaluate: its stages and active rules in priority order."""

    model: LifecycleModel
    stages: list[Stage]
    rules: list[rulebook.RuleSpec]
    stage_by_key: dict[str, Stage] = field(init=False)
    stage_key_by_id: dict[int, str] = field(init=False)
    # Whole explanations by the values read (``_Explanations``): kept with the plan,
    # which ``plans_active`` keeps while no model, stage or rule changes.
    explanations: dict[tuple[Any, ...], Explained] = field(init=False)

    def __post_init__(self) -> None:
        self.stage_by_key = {stage.key: stage for stage in self.stages}
        self.stage_key_by_id = {stage.pk: stage.key for stage in self.stages}
        self.explanations = {}

    def explanations_kept(self) -> dict[tuple[Any, ...], Explained]:
        """The explanations worked out so far, emptied when they grow past
        ``EXPLANATIONS_KEPT``."""
        if len(self.explanations) > EXPLANATIONS_KEPT:
            self.explanations.clear()
        return self.explanations

    @property
    def first(self) -> str:
        return self.stages[0].key

    @cached_property
    def facts_used(self) -> frozenset[str]:
        """The facts its rules read (walked once: the plan is kept while nothing changes)."""
        used: set[str] = set()
        for rule in self.rules:
            used |= rulebook.facts_used(rule.condition)
        return frozenset(used)

    @cached_property
    def facts_read(self) -> dict[int, frozenset[str]]:
        """The facts each rule reads, by ``id`` of its ``RuleSpec``: all that explaining
        a step by that rule looks at."""
        return {id(rule): frozenset(rulebook.facts_used(rule.condition)) for rule in self.rules}


@dataclass(slots=True)
class Explained:
    """Why a change happened, ready to write: its explanation and the facts that made
    its rules fire (both adapted for the database) and the last rule applied."""

    explanation: Any
    facts: Any
    rule_id: int | None


def facts_needed(plans: Sequence[Plan]) -> set[str]:
    """The facts the plans' rules read (the others need not be queried)."""
    needed: set[str] = set()
    for plan in plans:
        needed |= plan.facts_used
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


# --- deciding, for many customers at once ----------------------------------------------------

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    ">": np.greater,
    ">=": np.greater_equal,
    "<": np.less,
    "<=": np.less_equal,
    "==": np.equal,
    "!=": np.not_equal,
}


class Columns:
    """The facts of a ``FactTable`` with the stage facts of one model laid over them."""

    def __init__(self, table: FactTable, stage: dict[str, Floats]) -> None:
        self.table = table
        self.stage = stage

    def get(self, name: str) -> Floats:
        found = self.stage.get(name)
        return found if found is not None else self.table.column(name)


def holds_many(condition: Mapping[str, Any], columns: Columns) -> Bools:
    """``rules.holds`` for every customer of the table at once (same semantics: a
    comparison with an unknown fact does not hold; ``not`` inverts)."""
    size = len(columns.table)
    if "all" in condition:
        mask = np.ones(size, dtype=bool)
        for child in condition["all"]:
            mask &= holds_many(child, columns)
        return mask
    if "any" in condition:
        mask = np.zeros(size, dtype=bool)
        for child in condition["any"]:
            mask |= holds_many(child, columns)
        return mask
    if "not" in condition:
        return ~holds_many(condition["not"], columns)
    op, name = condition["op"], condition["fact"]
    if op in rulebook.SET_OPS:
        present = columns.table.has(name, condition["value"])
        return present if op == "has" else ~present
    actual = columns.get(name)
    if op == "known":
        return ~np.isnan(actual)
    if op == "unknown":
        return np.isnan(actual)
    value = condition.get("value")
    if value is None:
        return np.zeros(size, dtype=bool)
    if isinstance(value, dict):
        target = columns.get(value["fact"]) * float(value["times"])
    else:
        target = np.full(size, float(value))
    known = ~np.isnan(actual) & ~np.isnan(target)
    return known & _COMPARE[op](np.nan_to_num(actual), np.nan_to_num(target))


@dataclass(slots=True)
class Held:
    """A customer's current-stage row, as read (not a model instance: thousands per batch)."""

    pk: int
    stage_id: int
    since: float  # epoch seconds


@dataclass
class Placement:
    """Where each customer of a table stands in one model before the evaluation."""

    code: Ints  # index of the current stage in plan.stages; -1: not placed (or unknown)
    since: Floats  # epoch seconds of entering it; NaN when not placed
    row: list[Held | None]  # the current-stage row, if any


@dataclass
class Decisions:
    """Where the rules put each customer: ``final`` stage codes, ``changed`` where a
    change is due, and for those the steps taken (from code, rule, step number)."""

    final: Ints
    changed: Bools
    steps: dict[int, list[tuple[int, rulebook.RuleSpec, int]]]
    stage_facts: dict[str, Floats]


def _stage_facts(table: FactTable, placement: Placement, now: float) -> dict[str, Floats]:
    placed = placement.code >= 0
    days = np.maximum(0.0, np.floor_divide(now - placement.since, DAY))
    return {
        # Not in the model yet: the customer's whole history counts as "in" the stage.
        "days_in_stage": np.where(placed, days, table.column("days_since_created")),
        "orders_since_stage": np.where(
            placed, table.orders_since(placement.since), table.column("orders_count")
        ),
    }


def decide_many(plan: Plan, table: FactTable, placement: Placement, now: float) -> Decisions:
    """Apply the first matching rule in priority order, again until no rule moves the
    customer (bounded by the number of stages), for every customer of the table."""
    size = len(table)
    placed = placement.code >= 0
    stage = np.where(placed, placement.code, 0)
    index = {stage.key: position for position, stage in enumerate(plan.stages)}
    # Per rule, whether it applies from each stage code (a lookup, not ``np.isin``).
    sources = np.zeros((len(plan.rules), len(plan.stages)), dtype=bool)
    for position, rule in enumerate(plan.rules):
        sources[position, [index[key] for key in rule.from_stages if key in index]] = True
    targets = np.array([index.get(rule.to_stage, -1) for rule in plan.rules], dtype=np.int64)
    facts = _stage_facts(table, placement, now)
    columns = Columns(table, dict(facts))
    active = np.ones(size, dtype=bool)
    steps: dict[int, list[tuple[int, rulebook.RuleSpec, int]]] = {}
    for step in range(len(plan.stages) + 1):
        chosen = np.full(size, -1, dtype=np.int64)
        for position, rule in enumerate(plan.rules):
            open_ = active & (chosen < 0)
            if rule.from_stages:
                open_ &= sources[position][stage]
            if not open_.any():
                continue
            chosen[open_ & holds_many(rule.condition, columns)] = position
        target = np.where(chosen >= 0, targets[chosen], -1)
        moving = (chosen >= 0) & (target >= 0) & (target != stage)
        if not moving.any():
            break
        for row in np.flatnonzero(moving).tolist():
            steps.setdefault(row, []).append((int(stage[row]), plan.rules[chosen[row]], step))
        stage = np.where(moving, target, stage)
        active = moving
        # A real move resets the stage facts of customers already in the model.
        reset = moving & placed
        columns.stage = {name: np.where(reset, 0.0, col) for name, col in columns.stage.items()}
    changed = ~placed | (stage != placement.code)
    return Decisions(stage, changed, steps, facts)


def explain_steps(
    steps: Sequence[tuple[int, rulebook.RuleSpec, int]],
    state: dict[str, Any],
    initial: bool,
    reset: bool,
) -> tuple[dict[str, Any], dict[str, Any], rulebook.RuleSpec | None]:
    """Why a customer moved (the rules applied, in order), as data: the explanation
    (``rules.explanation_step``), the facts its rules read — the values the first rule
    to read each one read: a later step after a move reads the stage facts as 0, which
    its ``reset`` says — and the last rule."""
    parts: list[dict[str, Any]] = []
    used: dict[str, Any] = {}
    for _from, rule, step in steps:
        moved = bool(step) and reset
        if moved:
            state = {**state, **rulebook.STAGE_FACTS_RESET}
        part, facts = rulebook.explanation_step(rule, state, moved)
        parts.append(part)
        for name, value in facts.items():
            used.setdefault(name, value)
    explanation: dict[str, Any] = {"steps": parts}
    if initial:
        explanation["placed"] = True
    return explanation, used, steps[-1][1] if steps else None


def _held_sql(where: str, models: Sequence[int]) -> str:
    table = connection.ops.quote_name(CustomerStage._meta.db_table)
    since = (
        "EXTRACT(EPOCH FROM since)::float8"
        if connection.vendor == "postgresql"
        else "CAST(since AS TEXT)"
    )
    in_models = ", ".join(str(int(pk)) for pk in models)
    return (
        f"SELECT id, customer_id, model_id, stage_id, {since} FROM {table} "
        f"WHERE model_id IN ({in_models}) AND {where}"
    )


def _held(cursor: Any) -> dict[tuple[int, int], Held]:
    """Rows of ``_held_sql`` (read with a bare cursor: the ORM cost more than the query)."""
    rows = cursor.fetchall()
    if not rows:
        return {}
    since = epochs([row[4] for row in rows]).tolist()
    return {
        (customer_id, model_id): Held(pk, stage_id, at)
        for (pk, customer_id, model_id, stage_id, _text), at in zip(rows, since, strict=True)
    }


def _current(ids: Sequence[int], plans: Sequence[Plan]) -> dict[tuple[int, int], Held]:
    found: dict[tuple[int, int], Held] = {}
    models = [plan.model.pk for plan in plans]
    with connection.cursor() as cursor:
        for chunk in chunks(ids, 5000):
            subquery = values_in(chunk, "int")
            cursor.execute(_held_sql(f"customer_id IN ({subquery.sql})", models), subquery.params)
            found.update(_held(cursor))
    return found


def _current_range(ids: Sequence[int], plans: Sequence[Plan]) -> dict[tuple[int, int], Held]:
    if not ids:
        return {}
    models = [plan.model.pk for plan in plans]
    with connection.cursor() as cursor:
        cursor.execute(
            _held_sql("customer_id >= %s AND customer_id <= %s", models), [ids[0], ids[-1]]
        )
        return _held(cursor)


def placement_of(
    plan: Plan, table: FactTable, current: Mapping[tuple[int, int], Held]
) -> Placement:
    index = {stage.pk: position for position, stage in enumerate(plan.stages)}
    size = len(table)
    code = np.full(size, -1, dtype=np.int64)
    since = np.full(size, np.nan)
    rows: list[Held | None] = []
    model_id = plan.model.pk
    for position, customer_id in enumerate(table.ids.tolist()):
        row = current.get((customer_id, model_id))
        rows.append(row)
        if row is not None and row.stage_id in index:
            code[position] = index[row.stage_id]
            since[position] = row.since
    return Placement(code, since, rows)


class _Explanations:
    """Why each change of one plan in one evaluation happened, each worked out once per
    distinct case: what a change's explanation and facts depend on — whether it is a
    first placement, whether the customer was in the model, the rules applied and the
    values of the facts those rules read — is its key in ``Plan.explanations_kept`` (the
    default models' thousands of moves per batch take a few dozen distinct ones)."""

    def __init__(self, plan: Plan, table: FactTable, decisions: Decisions, positions: Ints) -> None:
        self.plan = plan
        self.decisions = decisions
        self.known = plan.explanations_kept()
        self.adapt_facts = partial(
            StageChange._meta.get_field("facts").get_db_prep_save, connection=connection
        )
        self.adapt_explanation = partial(
            StageChange._meta.get_field("explanation").get_db_prep_save, connection=connection
        )
        names = sorted(plan.facts_used)
        self.names = names
        self.slot = {name: slot for slot, name in enumerate(names)}
        # Per fact, the changed customers' values: as the rules' words read them, and as
        # a key (float bits: exact, -0.0 and 0.0 differ as they do in JSON).
        self.values: list[list[Any]] = []
        self.keys: list[list[Any]] = []
        indexes = positions.tolist()
        for name in names:
            if name in SET_FACTS:
                sets = table.sets.get(name, {})
                found = [frozenset(sets.get(index, ())) for index in indexes]
                self.values.append(found)
                self.keys.append(found)
                continue
            stage_column = decisions.stage_facts.get(name)
            column = (stage_column if stage_column is not None else table.column(name))[positions]
            self.values.append(plain(name, column))
            self.keys.append(column.view(np.int64).tolist())
        self.slots_of: dict[tuple[Any, ...], tuple[int, ...]] = {}

    def _slots(self, signature: tuple[Any, ...]) -> tuple[int, ...]:
        """The facts the rules of ``signature`` read (their slots, in order)."""
        found = self.slots_of.get(signature)
        if found is None:
            read: set[str] = set()
            for rule_key, _reset in signature:
                read |= self.plan.facts_read[rule_key]
            found = self.slots_of[signature] = tuple(sorted(self.slot[name] for name in read))
        return found

    def of(self, number: int, position: int, initial: bool, in_model: bool) -> Explained:
        """Why the ``number``-th changed customer (``position`` in the table) moved."""
        steps = self.decisions.steps.get(position, [])
        signature = tuple((id(rule), bool(step) and in_model) for _from, rule, step in steps)
        slots = self._slots(signature)
        key = (initial, in_model, signature, *[self.keys[slot][number] for slot in slots])
        found = self.known.get(key)
        if found is None:
            state = {name: self.values[slot][number] for slot, name in enumerate(self.names)}
            explanation, used, rule = explain_steps(steps, state, initial=initial, reset=in_model)
            rule_id = rule.id if rule is not None and rule.id else None
            found = self.known[key] = Explained(
                self.adapt_explanation(explanation), self.adapt_facts(used), rule_id
            )
        return found


def _evaluate(
    table: FactTable,
    current: dict[tuple[int, int], Held],
    plans: Sequence[Plan],
    now: dt.datetime,
) -> int:
    now_ts = now.timestamp()
    at = datetime_adapter()(now)
    # Rows in ``CHANGE_FIELDS`` order, and where each one leaves its customer.
    changes: list[tuple[Any, ...]] = []
    placed: list[tuple[Held | None, int]] = []
    for plan in plans:
        placement = placement_of(plan, table, current)
        decisions = decide_many(plan, table, placement, now_ts)
        positions = np.flatnonzero(decisions.changed)
        words = _Explanations(plan, table, decisions, positions)
        model_id = plan.model.pk
        customer_ids = table.ids[positions].tolist()
        stage_ids = [stage.pk for stage in plan.stages]
        targets = [stage_ids[code] for code in decisions.final[positions].tolist()]
        in_model = (placement.code[positions] >= 0).tolist()
        for number, position in enumerate(positions.tolist()):
            row = placement.row[position]
            said = words.of(number, position, row is None, in_model[number])
            changes.append(
                (
                    customer_ids[number],
                    model_id,
                    row.stage_id if row is not None else None,
                    targets[number],
                    at,
                    StageChangeKind.INITIAL if row is None else StageChangeKind.RULE,
                    said.rule_id,
                    None,
                    "",
                    said.explanation,
                    said.facts,
                )
            )
            placed.append((row, targets[number]))
    if not changes:
        return 0
    with transaction.atomic(savepoint=False):
        change_ids = _changes_insert(changes)
        new: list[dict[str, Any]] = []
        moved: list[tuple[Any, ...]] = []
        for (row, stage_id), change in zip(placed, changes, strict=True):
            customer_id, model_id = change[0], change[1]
            change_id = change_ids[(customer_id, model_id)]
            if row is None:
                new.append(
                    {
                        "customer_id": customer_id,
                        "model_id": model_id,
                        "stage_id": stage_id,
                        "since": now,
                        "change_id": change_id,
                    }
                )
            else:
                moved.append((stage_id, change_id, row.pk))
        rows_insert(CustomerStage, new)
        _stages_move(moved, at)
        _entered_emit(changes, change_ids, plans)
    return len(changes)


def _entered_emit(
    changes: Sequence[tuple[Any, ...]],
    change_ids: dict[tuple[int, int], int],
    plans: Sequence[Plan],
) -> None:
    """One ``stage_entered`` event per (model, stage, how) of the changes written."""
    kinds = {stage.pk: stage.kind for plan in plans for stage in plan.stages}
    groups: dict[tuple[int, int, str], dict[int, int | None]] = {}
    for customer_id, model_id, from_stage_id, to_stage_id, _at, how, *_rest in changes:
        groups.setdefault((model_id, to_stage_id, str(how)), {})[customer_id] = from_stage_id
    for (model_id, stage_id, how), before in groups.items():
        stage_entered_emit(
            before,
            {customer_id: change_ids[(customer_id, model_id)] for customer_id in before},
            model_id=model_id,
            stage_id=stage_id,
            stage_kind=kinds[stage_id],
            how=how,
        )


def _changes_insert(changes: Sequence[tuple[Any, ...]]) -> dict[tuple[int, int], int]:
    """Insert the changes (rows of ``CHANGE_FIELDS`` values, adapted); their ids by
    (customer, model)."""
    column_of = {field.name: str(field.column) for field in StageChange._meta.concrete_fields}
    columns = [column_of[name] for name in CHANGE_FIELDS]
    written = values_insert_returning(
        StageChange, columns, changes, ("customer_id", "model_id", "id")
    )
    return {(customer_id, model_id): pk for customer_id, model_id, pk in written}


def _stages_move(moved: Sequence[tuple[Any, ...]], at: Any) -> None:
    """Point the moved customers' current-stage rows (stage, change, row id) at their
    new change, since ``at`` (adapted for the database). Below the ORM (an ``update()``
    per row cost more than the evaluation): on PostgreSQL one statement over arrays (an
    ``executemany`` runs a statement per row there: 16 ms per batch of 500 orders); on
    SQLite one ``executemany`` (one statement over a JSON array measured the same)."""
    if not moved:
        return
    quote = connection.ops.quote_name
    table = quote(CustomerStage._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            stage_ids, change_ids, pks = (list(column) for column in zip(*moved, strict=True))
            cursor.execute(
                f"UPDATE {table} SET stage_id = v.stage_id, since = %s, change_id = v.change_id "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) "
                "AS v(stage_id, change_id, id) "
                f"WHERE {table}.id = v.id",
                [at, stage_ids, change_ids, pks],
            )
            return
        cursor.executemany(
            f"UPDATE {table} SET stage_id = %s, since = %s, change_id = %s WHERE id = %s",
            [(stage_id, at, change_id, pk) for stage_id, change_id, pk in moved],
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
    table = fact_table(ids, now=now, needed=facts_needed(plans))
    return _evaluate(table, _current(table.ids.tolist(), plans), plans, now)


def lifecycle_evaluate_range(
    customer_ids: Sequence[int], *, now: dt.datetime, plans: Sequence[Plan]
) -> int:
    """``lifecycle_evaluate`` for a sorted run of ids, reading by id range (recompute)."""
    if not customer_ids or not plans:
        return 0
    table = fact_table(customer_ids, now=now, needed=facts_needed(plans), by_range=True)
    return _evaluate(table, _current_range(customer_ids, plans), plans, now)


@dataclass
class PreviewCounts:
    """A draft rule's effect: customers moved per target stage key, among ``evaluated``
    customers of the ``population`` alive (all of them, or a random sample)."""

    moved: dict[str, int]
    evaluated: int
    population: int

    @property
    def sampled(self) -> bool:
        return self.evaluated < self.population


def rule_preview(
    rule: rulebook.RuleSpec,
    plan: Plan,
    *,
    now: dt.datetime,
    chunk: int = 20_000,
    samples: list[int] | None = None,
    sample_size: int = 10,
) -> PreviewCounts:
    """How many customers a draft rule would move today, without writing: the draft
    replaces the rule of the same id (or joins the rules) and the customers are
    evaluated — every one, or a random sample of ``PREVIEW_LIMIT`` when there are more;
    counts of customers whose stage would differ from now, per target. The ids of the
    first ``sample_size`` such customers are appended to ``samples``."""
    from kehu.customers.models import Customer

    rules = [spec for spec in plan.rules if spec.id != rule.id or not rule.id] + [rule]
    draft = Plan(plan.model, plan.stages, rulebook.ordered(rules))
    needed = facts_needed([plan, draft])
    now_ts = now.timestamp()
    moved: dict[str, int] = {}
    ids = list(Customer.objects.alive().order_by("pk").values_list("pk", flat=True))
    population = len(ids)
    # All of them are read by id range; a sample, by its ids.
    whole = population <= PREVIEW_LIMIT
    if not whole:
        ids = sorted(random.Random(PREVIEW_SEED).sample(ids, PREVIEW_LIMIT))
    for run in chunks(ids, chunk):
        table = fact_table(run, now=now, needed=needed, by_range=whole)
        held = _current_range(run, [plan]) if whole else _current(table.ids.tolist(), [plan])
        placement = placement_of(plan, table, held)
        before = decide_many(plan, table, placement, now_ts)
        after = decide_many(draft, table, placement, now_ts)
        differs = after.changed & (~before.changed | (before.final != after.final))
        for position in np.flatnonzero(differs).tolist():
            if not any(step[1] is rule for step in after.steps.get(position, [])):
                continue
            key = plan.stages[after.final[position]].key
            moved[key] = moved.get(key, 0) + 1
            if samples is not None and len(samples) < sample_size:
                samples.append(int(table.ids[position]))
    return PreviewCounts(moved, len(ids), population)


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
    # The ids asked for are walked in runs of ``chunk`` (an ``IN`` over all of them per
    # run prepared 100,000 values 20 times: a quarter of a 100k demo's lifecycle pass).
    wanted = None if customer_ids is None else sorted(set(customer_ids))
    while True:
        if wanted is None:
            run = list(customers.filter(pk__gt=after).values_list("pk", flat=True)[:chunk])
            if not run:
                return result
            after = run[-1]
        else:
            start = bisect.bisect_right(wanted, after)
            part = wanted[start : start + chunk]
            if not part:
                return result
            alive = customers.filter(pk__in=values_in(part, "int"))
            run = list(alive.values_list("pk", flat=True))
            after = part[-1]
        if run:
            with transaction.atomic():
                result.changes += lifecycle_evaluate_range(run, now=now, plans=plans)
            result.customers += len(run)
        if progress is not None:
            progress(len(run))
