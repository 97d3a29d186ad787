"""The rule language of lifecycle models: conditions over a customer's facts, as JSON.

Pure: no Django import, so it can be tested and benchmarked alone. Strings shown to
people are marked with ``gettext_noop`` (picked up by makemessages) and translated by
the ``translate`` function the caller passes (Django's ``gettext`` in the app).

A condition is a tree::

    {"all": [cond, ...]}        every one holds
    {"any": [cond, ...]}        at least one holds
    {"not": cond}               does not hold
    {"fact": "days_since_last_order", "op": ">=", "value": 60}
    {"fact": "days_since_last_order", "op": ">=",
     "value": {"fact": "median_gap_days", "times": 2}}    # 2 × another fact
    {"fact": "tags", "op": "has", "value": "VIP"}
    {"fact": "median_gap_days", "op": "unknown"}

A fact may be unknown (no orders yet, no survey answered, cost not recorded): a
comparison with an unknown fact does not hold (``known`` / ``unknown`` test for it),
and ``not`` simply inverts. Money facts are in yuan (float, cent-exact).

Evaluation of a model: the rules that may move a customer from the current stage
(``from_stages`` lists it, or is empty), in priority order; the first whose condition
holds wins — if it names the current stage, the customer stays. Rules are applied
until none moves the customer (a fixed point, recorded as one change), so running the
evaluation again on the same facts changes nothing. A set of rules that could move a
customer round in a circle on the same facts is refused on save (``find_loop``).

Why a customer moved is kept as data, not words (``explanation_step``): the rules
applied, and for each the leaves that decided it, with the facts they read kept beside
(``evaluate``). ``explanation_text`` words it when it is shown, in the reader's
language: "纳入生命周期模型 → 首次购买：订单数 1 单，达到 1 单" to one reader, "Added to
the lifecycle model → 首次购买: orders 1, reached 1" to another (a rule's name is what
its author typed).

The module is split along its seams, and reads through here: ``rules_facts`` (the
catalogue of facts and operators), ``rules_validate`` (``validate``, ``facts_used``) and
``rules_loops`` (rule sets, DNF, ``find_loop``). Segments (``kehu.segments``) use the
same language with ``scope=SEGMENT`` facts added (the profile, the stage in a named
model, RFM scores, purchases, custom fields); a lifecycle rule refuses those.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeGuard

from kehu.lifecycle.rules_facts import (  # noqa: F401 (the catalogue, read through here)
    BOTH,
    FACTS,
    LIFECYCLE,
    MAX_DEPTH,
    MAX_DNF,
    MAX_NODES,
    NUMBER,
    NUMBER_OPS,
    OP_SYMBOLS,
    PRESENCE_OPS,
    SEGMENT,
    SET,
    SET_OPS,
    TEXT,
    TEXT_OPS,
    WINDOWS,
    Fact,
    RuleError,
    Translate,
    _identity,
    fact_key,
    gettext_noop,
)
from kehu.lifecycle.rules_loops import (  # noqa: F401 (rule sets, read through here)
    Conjunction,
    Literal,
    RuleSpec,
    dnf,
    find_loop,
    ordered,
)
from kehu.lifecycle.rules_validate import (  # noqa: F401 (read through here)
    check,
    facts_used,
    is_time_dependent,
    leaves,
    validate,
)

# --- evaluation on one customer -------------------------------------------------------------

Facts = Mapping[str, Any]


def _compare(left: float, op: str, right: float) -> bool:
    if op == ">":
        return left > right
    if op == ">=":
        return left >= right
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == "==":
        return left == right
    return left != right


def _known(value: Any) -> TypeGuard[float]:
    """Whether a fact is known: not None, NaN or (a text fact) empty."""
    return (
        value is not None and value != "" and not (isinstance(value, float) and math.isnan(value))
    )


def _target(leaf: Mapping[str, Any], facts: Facts) -> float | None:
    value: Any = leaf.get("value")
    if isinstance(value, dict):
        other = facts.get(value["fact"])
        return float(other) * float(value["times"]) if _known(other) else None
    return float(value) if value is not None else None


def leaf_holds(leaf: Mapping[str, Any], facts: Facts) -> bool:
    op, actual = leaf["op"], facts.get(fact_key(leaf))
    if op == "known":
        return _known(actual)
    if op == "unknown":
        return not _known(actual)
    if op in TEXT_OPS:
        return _known(actual) and (actual == leaf["value"]) == (op == "is")
    if op in SET_OPS:
        present = leaf["value"] in (actual or ())
        return present if op == "has" else not present
    target = _target(leaf, facts)
    if not _known(actual) or target is None:
        return False
    return _compare(float(actual), op, target)


def holds(condition: Mapping[str, Any], facts: Facts) -> bool:
    if "all" in condition:
        return all(holds(child, facts) for child in condition["all"])
    if "any" in condition:
        return any(holds(child, facts) for child in condition["any"])
    if "not" in condition:
        return not holds(condition["not"], facts)
    return leaf_holds(condition, facts)


def _why(
    condition: Mapping[str, Any], facts: Facts, negated: bool = False
) -> list[tuple[Any, bool]]:
    """The leaves that make ``condition`` hold (or, negated, fail), with their polarity."""
    if "not" in condition:
        return _why(condition["not"], facts, not negated)
    group = "all" if "all" in condition else "any" if "any" in condition else None
    if group is None:
        return [(condition, negated)]
    children = condition[group]
    # all holding / any failing: every child counts; otherwise the first decisive one.
    every = (group == "all") != negated
    found: list[tuple[Any, bool]] = []
    for child in children:
        if holds(child, facts) != negated:
            if not every:
                return _why(child, facts, negated)
            found += _why(child, facts, negated)
    return found


def _used(decisive: Iterable[tuple[Any, bool]], facts: Facts) -> dict[str, Any]:
    used: dict[str, Any] = {}
    for leaf, _negated in decisive:
        value = leaf.get("value")
        for name in (fact_key(leaf), value.get("fact") if isinstance(value, dict) else None):
            if name is not None:
                found = facts.get(name)
                used[name] = sorted(found) if isinstance(found, set | frozenset) else found
    return used


def evaluate(condition: Mapping[str, Any], facts: Facts) -> tuple[bool, dict[str, Any]]:
    """Whether ``condition`` holds on ``facts``, and the facts that decided it."""
    matched = holds(condition, facts)
    return matched, _used(_why(condition, facts), facts) if matched else {}


# --- plain words ----------------------------------------------------------------------------


def format_number(value: Any, fact: Fact | None = None) -> str:
    if fact is not None and fact.money:
        return f"{float(value):,.2f}"
    number = float(value)
    if number.is_integer():
        return str(int(number))
    return f"{number:.2f}".rstrip("0").rstrip(".")


def _relation(actual: float, target: float, translate: Translate) -> str:
    if actual > target:
        return translate(gettext_noop("超过"))
    if actual < target:
        return translate(gettext_noop("少于"))
    return translate(gettext_noop("达到"))


def describe_leaf(
    leaf: Mapping[str, Any], facts: Facts, translate: Translate = _identity, negated: bool = False
) -> str:
    """One leaf in plain words, with the customer's numbers: "最近一次购买距今 94 天，超过其
    平均购买间隔 31 天的 2 倍"."""
    fact = FACTS[leaf["fact"]]
    label, unit = fact.text(translate), translate(fact.unit) if fact.unit else ""
    op, actual = leaf["op"], facts.get(fact_key(leaf))
    if fact.kind == TEXT and op in TEXT_OPS and _known(actual):
        return translate(gettext_noop("%(label)s为%(value)s")) % {
            "label": label,
            "value": fact.choice_text(str(actual), translate),
        }
    if fact.kind == SET:
        has = (op == "has") != negated
        text = translate(
            gettext_noop("有%(label)s“%(name)s”")
            if has
            else gettext_noop("没有%(label)s“%(name)s”")
        )
        return text % {"label": label, "name": fact.choice_text(str(leaf["value"]), translate)}
    if op in PRESENCE_OPS or not _known(actual):
        if not _known(actual):
            return translate(gettext_noop("%(label)s未知")) % {"label": label}
        return translate(gettext_noop("%(label)s %(value)s %(unit)s")) % {
            "label": label,
            "value": format_number(actual, fact),
            "unit": unit,
        }
    value = leaf.get("value")
    target = _target(leaf, facts)
    params = {"label": label, "value": format_number(actual, fact), "unit": unit}
    if isinstance(value, dict):
        other = FACTS[value["fact"]]
        other_value = facts.get(value["fact"])
        if not _known(other_value) or target is None:
            return translate(gettext_noop("%(label)s %(value)s %(unit)s，%(other)s未知")) % {
                **params,
                "other": other.text(translate),
            }
        return translate(
            gettext_noop(
                "%(label)s %(value)s %(unit)s，"
                "%(relation)s其%(other)s %(other_value)s %(unit)s的 %(times)s 倍"
            )
        ) % {
            **params,
            "relation": _relation(float(actual), target, translate),
            "other": other.text(translate),
            "other_value": format_number(other_value, other),
            "times": format_number(value["times"]),
        }
    assert target is not None
    return translate(
        gettext_noop("%(label)s %(value)s %(unit)s，%(relation)s %(target)s %(unit)s")
    ) % {
        **params,
        "relation": _relation(float(actual), target, translate),
        "target": format_number(target, fact),
    }


def explain(condition: Mapping[str, Any], facts: Facts, translate: Translate = _identity) -> str:
    """Why ``condition`` holds, in plain words (empty when it does not)."""
    return explain_used(condition, facts, translate)[0]


def explain_used(
    condition: Mapping[str, Any], facts: Facts, translate: Translate = _identity
) -> tuple[str, dict[str, Any]]:
    """``explain`` and the facts that decided it (``evaluate``), in one walk."""
    if not holds(condition, facts):
        return "", {}
    decisive = _why(condition, facts)
    phrases: list[str] = []
    for leaf, negated in decisive:
        phrase = describe_leaf(leaf, facts, translate, negated)
        if phrase not in phrases:
            phrases.append(phrase)
    return translate(gettext_noop("；")).join(phrases), _used(decisive, facts)


# --- explanations kept as data ----------------------------------------------------------------
#
# What a stage change stores (``StageChange.explanation``), with the facts its rules read
# (``StageChange.facts``)::
#
#     {"placed": true,                       # a first placement in the model
#      "steps": [{"rule": "首次购买",          # each rule applied, in order
#                 "why": [["orders_count", ">=", 1],  # fact, op, value (+ true: negated)
#                         ["tags", "has", "VIP", true]],
#                 "reset": true}]}           # after a move: the stage facts read 0
#
# A second step of one evaluation reads the stage facts as 0 (``days_in_stage``,
# ``orders_since_stage``: the customer has just moved), the facts keep the values the
# first step read.

PLACED = gettext_noop("纳入生命周期模型")
STAGE_FACTS_RESET = {"days_in_stage": 0, "orders_since_stage": 0}


def explanation_step(
    rule: RuleSpec, facts: Facts, reset: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One rule applied: its entry in an explanation, and the facts that decided it."""
    decisive = _why(rule.condition, facts) if holds(rule.condition, facts) else []
    why = [
        [leaf["fact"], leaf["op"], leaf.get("value"), True]
        if negated
        else [leaf["fact"], leaf["op"], leaf.get("value")]
        for leaf, negated in decisive
    ]
    step: dict[str, Any] = {"rule": rule.name, "why": why}
    if reset:
        step["reset"] = True
    return step, _used(decisive, facts)


def explanation_text(
    explanation: Mapping[str, Any], facts: Facts, translate: Translate = _identity
) -> str:
    """An explanation (``explanation_step``) in words, with the facts it was kept with.
    A leaf this version cannot word (a fact since removed) is left out."""
    parts: list[str] = []
    for step in explanation.get("steps") or ():
        state = {**facts, **STAGE_FACTS_RESET} if step.get("reset") else facts
        phrases: list[str] = []
        for kept in step.get("why") or ():
            try:
                fact, op, value, *negated = kept
                leaf = {"fact": fact, "op": op}
                if value is not None:
                    leaf["value"] = value
                phrase = describe_leaf(leaf, state, translate, any(negated))
            except (KeyError, TypeError, ValueError):
                continue
            if phrase not in phrases:
                phrases.append(phrase)
        name = str(step.get("rule", ""))
        if phrases:
            why = translate(gettext_noop("；")).join(phrases)
            parts.append(translate(gettext_noop("%(rule)s：%(why)s")) % {"rule": name, "why": why})
        else:
            parts.append(name)
    placed = translate(PLACED)
    if explanation.get("placed"):
        parts.insert(0, placed)
    return " → ".join(parts) if parts else placed


def describe_condition(
    condition: Mapping[str, Any],
    translate: Translate = _identity,
    names: Mapping[str, str] | None = None,
) -> str:
    """The condition itself in words (no customer): for rule lists. ``names``: display
    names of what a leaf names by key — ``model:<key>``, ``stage:<model>:<key>``."""
    if "all" in condition or "any" in condition:
        group = "all" if "all" in condition else "any"
        joiner = translate(gettext_noop(" 且 ") if group == "all" else gettext_noop(" 或 "))
        parts = [describe_condition(child, translate, names) for child in condition[group]]
        if len(parts) == 1:
            return parts[0]
        return translate(gettext_noop("（%(parts)s）")) % {"parts": joiner.join(parts)}
    if "not" in condition:
        return translate(gettext_noop("并非%(what)s")) % {
            "what": describe_condition(condition["not"], translate, names)
        }
    fact = FACTS.get(condition.get("fact", ""))
    if fact is None:
        return "?"
    label, op = fact.text(translate), condition.get("op", "")
    names = names or {}
    model = condition.get("model")
    if fact.per_model and model:
        label = translate(gettext_noop("%(model)s的%(label)s")) % {
            "model": names.get(f"model:{model}", model),
            "label": label,
        }
    if fact.per_field and condition.get("field"):
        field = str(condition["field"])
        label = names.get(f"field:{field}", field)
    if fact.kind == TEXT and op in TEXT_OPS:
        code = str(condition.get("value", ""))
        shown = (
            names.get(f"stage:{model}:{code}", code)
            if fact.name == "stage"
            else fact.choice_text(code, translate)
        )
        word = (
            gettext_noop("%(label)s为“%(value)s”")
            if op == "is"
            else gettext_noop("%(label)s不为“%(value)s”")
        )
        return translate(word) % {"label": label, "value": shown}
    if op == "known":
        return translate(gettext_noop("%(label)s已知")) % {"label": label}
    if op == "unknown":
        return translate(gettext_noop("%(label)s未知")) % {"label": label}
    value = condition.get("value")
    if fact.name == "segment":
        text = (
            gettext_noop("在分群“%(name)s”中")
            if op == "has"
            else gettext_noop("不在分群“%(name)s”中")
        )
        return translate(text) % {"name": names.get(f"segment:{value}", value)}
    if fact.kind == SET:
        text = (
            gettext_noop("有%(label)s“%(name)s”")
            if op == "has"
            else gettext_noop("没有%(label)s“%(name)s”")
        )
        return translate(text) % {"label": label, "name": fact.choice_text(str(value), translate)}
    if isinstance(value, dict):
        other = FACTS.get(value.get("fact", ""))
        right = (
            f"{format_number(value.get('times', 1))} × {other.text(translate) if other else '?'}"
        )
    else:
        right = f"{format_number(value, fact)} {translate(fact.unit) if fact.unit else ''}".strip()
    return f"{label} {OP_SYMBOLS.get(op, op)} {right}"


# --- rule sets ---------------------------------------------------------------------------------


def check_rule_set(
    rules: Sequence[RuleSpec], stage_keys: Sequence[str], translate: Translate = _identity
) -> None:
    """Refuse a model's rules: no stages, a stage of another model, a bad condition, or a
    loop (rules that could move a customer round a circle on the same facts)."""
    errors: list[str] = []
    if not stage_keys:
        errors.append(translate(gettext_noop("该模型还没有阶段，请先添加阶段。")))
        raise RuleError(errors)
    known = set(stage_keys)
    for rule in rules:
        for key in (*rule.from_stages, rule.to_stage):
            if key not in known:
                errors.append(
                    translate(gettext_noop("规则“%(rule)s”引用的阶段“%(stage)s”不属于该模型。"))
                    % {"rule": rule.name, "stage": key}
                )
        for message in validate(rule.condition, translate):
            errors.append(rule.name + translate(gettext_noop("：")) + message)
    if errors:
        raise RuleError(errors)
    loop = find_loop(rules, stage_keys)
    if loop:
        path = " → ".join([*(step[0] for step in loop), loop[0][0]])
        names = translate(gettext_noop("、")).join(f"“{step[1].name}”" for step in loop)
        raise RuleError(
            [
                translate(
                    gettext_noop(
                        "规则 %(rules)s 的条件可能同时成立，会让客户在一次评估中来回移动"
                        "（%(path)s）。请修改条件或起始阶段。"
                    )
                )
                % {"rules": names, "path": path}
            ]
        )
