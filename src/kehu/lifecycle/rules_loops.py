"""Rule sets of a lifecycle model: the stage machine's rule specs and loop detection.

Pure: no Django import. A set of rules that could move a customer round in a circle on
the same facts is refused on save (``find_loop``): each condition is put in disjunctive
normal form (``dnf``) and the conjunctions along a circle are checked for consistency.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kehu.lifecycle.rules_facts import (
    MAX_DNF,
    NUMBER_OPS,
    PRESENCE_OPS,
    SET_OPS,
    TEXT_OPS,
    fact_key,
)


@dataclass(frozen=True)
class RuleSpec:
    id: int
    name: str
    from_stages: tuple[str, ...]
    to_stage: str
    condition: Mapping[str, Any]
    priority: int

    def applies_from(self, stage: str | None) -> bool:
        return not self.from_stages or stage in self.from_stages


def ordered(rules: Iterable[RuleSpec]) -> list[RuleSpec]:
    return sorted(rules, key=lambda rule: (rule.priority, rule.id))


# A literal of the DNF: (fact, op, rhs) where rhs is a number, a set member, None
# (known/unknown) or ("x", other fact, times) for a relative value.
Literal = tuple[str, str, Any]
Conjunction = frozenset[Literal]
NEGATE = {">": "<=", ">=": "<", "<": ">=", "<=": ">", "==": "!=", "!=": "=="}


def _leaf_literal(leaf: Mapping[str, Any], negated: bool) -> list[list[Literal]]:
    name, op = fact_key(leaf), leaf["op"]
    value: Any = leaf.get("value")
    if op in TEXT_OPS:
        if not negated:
            return [[(name, op, value)]]
        other = "is_not" if op == "is" else "is"
        return [[(name, other, value)], [(name, "unknown", None)]]
    if op in PRESENCE_OPS:
        flip = {"known": "unknown", "unknown": "known"}
        return [[(name, flip[op] if negated else op, None)]]
    if op in SET_OPS:
        flip = {"has": "lacks", "lacks": "has"}
        return [[(name, flip[op] if negated else op, value)]]
    rhs = ("x", value["fact"], float(value["times"])) if isinstance(value, dict) else float(value)
    if not negated:
        return [[(name, op, rhs)]]
    # not (x op v): the opposite comparison, or a fact unknown.
    options: list[list[Literal]] = [[(name, NEGATE[op], rhs)], [(name, "unknown", None)]]
    if isinstance(rhs, tuple):
        options.append([(rhs[1], "unknown", None)])
    return options


class _TooBig(Exception):
    pass


def _product(left: list[Conjunction], right: list[Conjunction]) -> list[Conjunction]:
    out: list[Conjunction] = []
    seen: set[Conjunction] = set()
    for a in left:
        for b in right:
            joined = a | b
            if joined not in seen and _consistent(joined):
                seen.add(joined)
                out.append(joined)
                if len(out) > MAX_DNF:
                    raise _TooBig
    return out


def dnf(condition: Mapping[str, Any], negated: bool = False) -> list[Conjunction]:
    """``condition`` as a list of consistent conjunctions (an empty list: never holds)."""
    if "not" in condition:
        return dnf(condition["not"], not negated)
    if "all" in condition or "any" in condition:
        group = "all" if "all" in condition else "any"
        conjunctive = (group == "all") != negated
        parts = [dnf(child, negated) for child in condition[group]]
        if conjunctive:
            result: list[Conjunction] = [frozenset()]
            for part in parts:
                result = _product(result, part)
            return result
        merged: list[Conjunction] = []
        for part in parts:
            merged += [c for c in part if c not in merged]
        if len(merged) > MAX_DNF:
            raise _TooBig
        return merged
    return [frozenset(c) for c in _leaf_literal(condition, negated) if _consistent(frozenset(c))]


def _consistent(conjunction: Conjunction) -> bool:
    """False only when the literals provably contradict each other."""
    unknown = {name for name, op, _v in conjunction if op == "unknown"}
    equal: dict[str, Any] = {}
    intervals: dict[tuple[str, Any], list[float | bool]] = {}
    excluded: dict[tuple[str, Any], set[float]] = {}
    for name, op, rhs in conjunction:
        if op == "known" and name in unknown:
            return False
        if op == "has" and (name, "lacks", rhs) in conjunction:
            return False
        if op in TEXT_OPS and name in unknown:
            return False
        if op == "is" and (
            (name, "is_not", rhs) in conjunction or equal.setdefault(name, rhs) != rhs
        ):
            return False
        if op in NUMBER_OPS:
            if name in unknown or (isinstance(rhs, tuple) and rhs[1] in unknown):
                return False
            if isinstance(rhs, tuple):
                key: tuple[str, Any] = (name, rhs[1])
                bound = rhs[2]
            else:
                key, bound = (name, None), rhs
            low, low_open, high, high_open = intervals.get(key, [-math.inf, False, math.inf, False])
            if op in (">", ">=", "=="):
                strict = op == ">"
                if bound > low or (bound == low and strict):
                    low, low_open = bound, strict
            if op in ("<", "<=", "=="):
                strict = op == "<"
                if bound < high or (bound == high and strict):
                    high, high_open = bound, strict
            if op == "!=":
                excluded.setdefault(key, set()).add(bound)
            if low > high or (low == high and (low_open or high_open)):
                return False
            if low == high and low in excluded.get(key, ()):
                return False
            intervals[key] = [low, low_open, high, high_open]
    return True


def _satisfiable(conditions: Sequence[list[Conjunction]]) -> bool:
    result: list[Conjunction] = [frozenset()]
    for part in conditions:
        result = _product(result, part)
        if not result:
            return False
    return True


def find_loop(
    rules: Sequence[RuleSpec], stage_keys: Sequence[str]
) -> list[tuple[str, RuleSpec]] | None:
    """A circle of moves (stage, rule) that the same facts could all trigger, or None.

    From a stage, rule r moves the customer when its condition holds and no earlier
    rule applicable from that stage holds (first match wins). A circle is possible only
    if all those conditions can hold together; the check is conservative (a condition
    too complex to analyse counts as possible)."""
    by_priority = ordered(rules)
    edges: dict[str, list[tuple[str, RuleSpec, list[list[Conjunction]]]]] = {}
    try:
        normal = {rule.id: dnf(rule.condition) for rule in by_priority}
        negated = {rule.id: dnf(rule.condition, True) for rule in by_priority}
    except _TooBig:
        return None  # validated elsewhere for size; give the benefit of the doubt
    for stage in stage_keys:
        earlier: list[list[Conjunction]] = []
        for rule in by_priority:
            if not rule.applies_from(stage):
                continue
            if rule.to_stage != stage and normal[rule.id]:
                edges.setdefault(stage, []).append(
                    (rule.to_stage, rule, [normal[rule.id], *earlier])
                )
            earlier.append(negated[rule.id])

    def search(
        start: str,
        stage: str,
        path: list[tuple[str, RuleSpec]],
        needs: list[list[Conjunction]],
        seen: set[str],
    ) -> list[tuple[str, RuleSpec]] | None:
        for target, rule, condition in edges.get(stage, []):
            joined = needs + condition
            try:
                possible = _satisfiable(joined)
            except _TooBig:
                possible = True
            if not possible:
                continue
            step = [*path, (stage, rule)]
            if target == start:
                return step
            if target in seen:
                continue
            found = search(start, target, step, joined, seen | {target})
            if found:
                return found
        return None

    for start in stage_keys:
        found = search(start, start, [], [], {start})
        if found:
            return found
    return None
