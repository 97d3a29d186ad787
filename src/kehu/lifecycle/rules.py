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
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard


def gettext_noop(message: str) -> str:
    """Marks a string for translation (makemessages looks for this name)."""
    return message


Translate = Callable[[str], str]


def _identity(message: str) -> str:
    return message


# --- facts -------------------------------------------------------------------------------

NUMBER, SET = "number", "set"
WINDOWS = (30, 90, 180, 365)
MAX_DEPTH = 8
MAX_NODES = 200
MAX_DNF = 4096


@dataclass(frozen=True)
class Fact:
    name: str
    label: str  # marked with gettext_noop; may hold %(n)d for window facts
    unit: str
    kind: str = NUMBER
    help: str = ""
    money: bool = False
    time: bool = False  # changes as days pass (the daily job re-checks such rules)
    state: bool = False  # depends on the customer's current stage in the model
    available: bool = True  # False: declared, not computed yet
    n: int = 0

    def text(self, translate: Translate = _identity) -> str:
        label = translate(self.label)
        return label % {"n": self.n} if self.n else label


def _facts() -> dict[str, Fact]:
    day, yuan = gettext_noop("天"), gettext_noop("元")
    facts = [
        Fact(
            "orders_count",
            gettext_noop("订单数"),
            gettext_noop("单"),
            help=gettext_noop("已支付或部分退款的订单"),
        ),
        Fact(
            "revenue_total",
            gettext_noop("累计收入"),
            yuan,
            money=True,
            help=gettext_noop("扣除退款"),
        ),
        Fact(
            "profit_total",
            gettext_noop("累计毛利"),
            yuan,
            money=True,
            help=gettext_noop("有订单成本未知时为未知"),
        ),
    ]
    for n in WINDOWS:
        facts.append(Fact(f"revenue_{n}d", gettext_noop("近 %(n)d 天收入"), yuan, money=True, n=n))
    for n in WINDOWS:
        facts.append(Fact(f"profit_{n}d", gettext_noop("近 %(n)d 天毛利"), yuan, money=True, n=n))
    facts += [
        Fact("days_since_first_order", gettext_noop("首次购买距今"), day, time=True),
        Fact("days_since_last_order", gettext_noop("最近一次购买距今"), day, time=True),
        Fact(
            "median_gap_days",
            gettext_noop("平均购买间隔"),
            day,
            help=gettext_noop("相邻两次购买间隔的中位数；同一天的订单算一次；少于两个购买日时未知"),
        ),
        Fact("days_since_last_interaction", gettext_noop("最近一次跟进距今"), day, time=True),
        Fact("days_since_created", gettext_noop("建档距今"), day, time=True),
        Fact("open_complaints", gettext_noop("未关闭投诉"), gettext_noop("件")),
        Fact(
            "open_severe_complaints",
            gettext_noop("未关闭的严重投诉"),
            gettext_noop("件"),
            help=gettext_noop("严重程度为高或紧急"),
        ),
        Fact("latest_csat", gettext_noop("最近满意度评分"), gettext_noop("分"), help="1–5"),
        Fact("latest_nps", gettext_noop("最近推荐意愿"), gettext_noop("分"), help="0–10"),
        Fact("tags", gettext_noop("标签"), "", kind=SET),
        Fact("flags", gettext_noop("人工标记"), "", kind=SET),
        Fact("days_in_stage", gettext_noop("在当前阶段"), day, time=True, state=True),
        Fact(
            "orders_since_stage",
            gettext_noop("进入当前阶段后的购买次数"),
            gettext_noop("次"),
            state=True,
        ),
        # From the latest customer-value scoring (``kehu score``, nightly before the
        # lifecycle job): unknown for customers it has not scored.
        Fact(
            "rfm_score",
            gettext_noop("RFM 得分"),
            gettext_noop("分"),
            time=True,
            help=gettext_noop("R、F、M 三项得分之和"),
        ),
        Fact("tier", gettext_noop("星级"), gettext_noop("星"), time=True, help="1–5"),
        Fact(
            "p_alive",
            gettext_noop("活跃概率"),
            "",
            time=True,
            help=gettext_noop("BG/NBD 模型估计的仍为活跃客户的概率，0–1"),
        ),
        Fact("clv", gettext_noop("客户终身价值"), yuan, money=True, time=True),
        Fact(
            "churn_risk",
            gettext_noop("流失风险"),
            "",
            time=True,
            help=gettext_noop("流失预警得分，0–1"),
        ),
    ]
    return {fact.name: fact for fact in facts}


FACTS: dict[str, Fact] = _facts()
NUMBER_OPS = (">", ">=", "<", "<=", "==", "!=")
SET_OPS = ("has", "lacks")
PRESENCE_OPS = ("known", "unknown")
OP_SYMBOLS = {">": ">", ">=": "≥", "<": "<", "<=": "≤", "==": "=", "!=": "≠"}


class RuleError(Exception):
    """A condition or a set of rules that cannot be saved; ``messages`` say why."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("；".join(messages))
        self.messages = messages


# --- validation --------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) < 1e12
    )


def validate(condition: Any, translate: Translate = _identity) -> list[str]:
    """Messages for everything wrong with ``condition`` (empty: it may be saved)."""
    errors: list[str] = []
    count = [0]

    def fail(message: str, **params: Any) -> None:
        text = translate(message)
        errors.append(text % params if params else text)

    def check_fact(name: Any, *, where: str) -> Fact | None:
        if not isinstance(name, str) or name not in FACTS:
            fail(gettext_noop("未知的事实“%(name)s”（%(where)s）。"), name=name, where=where)
            return None
        fact = FACTS[name]
        if not fact.available:
            fail(
                gettext_noop("事实“%(name)s”将在客户价值功能（第 8 项）上线后提供，暂不能使用。"),
                name=name,
            )
            return None
        return fact

    def walk(node: Any, depth: int, path: str) -> None:
        count[0] += 1
        if count[0] > MAX_NODES:
            if count[0] == MAX_NODES + 1:
                fail(gettext_noop("条件过于复杂（最多 %(n)d 个节点）。"), n=MAX_NODES)
            return
        if depth > MAX_DEPTH:
            fail(gettext_noop("条件嵌套过深（最多 %(n)d 层）。"), n=MAX_DEPTH)
            return
        if not isinstance(node, dict):
            fail(gettext_noop("%(path)s：条件必须是对象。"), path=path)
            return
        keys = set(node)
        for group in ("all", "any"):
            if group in keys:
                if keys != {group}:
                    fail(
                        gettext_noop("%(path)s：“%(key)s”不能与其他键并列。"), path=path, key=group
                    )
                children = node[group]
                if not isinstance(children, list) or not children:
                    fail(
                        gettext_noop("%(path)s：“%(key)s”需要至少一个条件的列表。"),
                        path=path,
                        key=group,
                    )
                    return
                for index, child in enumerate(children):
                    walk(child, depth + 1, f"{path}.{group}[{index}]")
                return
        if "not" in keys:
            if keys != {"not"}:
                fail(gettext_noop("%(path)s：“%(key)s”不能与其他键并列。"), path=path, key="not")
            walk(node["not"], depth + 1, f"{path}.not")
            return
        if "fact" not in keys:
            fail(gettext_noop("%(path)s：需要 all、any、not 或 fact。"), path=path)
            return
        extra = keys - {"fact", "op", "value"}
        if extra:
            fail(
                gettext_noop("%(path)s：未知的键 %(keys)s。"),
                path=path,
                keys=", ".join(sorted(extra)),
            )
        fact = check_fact(node["fact"], where=path)
        if fact is None:
            return
        op, value = node.get("op"), node.get("value")
        if op in PRESENCE_OPS:
            if "value" in node:
                fail(gettext_noop("%(path)s：“%(op)s”不需要 value。"), path=path, op=op)
            if fact.kind == SET:
                fail(
                    gettext_noop("%(path)s：%(fact)s 只能用 has / lacks。"),
                    path=path,
                    fact=fact.name,
                )
            return
        if fact.kind == SET:
            if op not in SET_OPS:
                fail(
                    gettext_noop("%(path)s：%(fact)s 只能用 has / lacks。"),
                    path=path,
                    fact=fact.name,
                )
            if not isinstance(value, str) or not value.strip() or len(value) > 50:
                fail(gettext_noop("%(path)s：value 必须是 1–50 字的名称。"), path=path)
            return
        if op not in NUMBER_OPS:
            fail(
                gettext_noop("%(path)s：不支持的比较“%(op)s”，可用 %(ops)s。"),
                path=path,
                op=op,
                ops=" ".join((*NUMBER_OPS, *PRESENCE_OPS)),
            )
        if isinstance(value, dict):
            if set(value) != {"fact", "times"}:
                fail(
                    gettext_noop('%(path)s：相对值的格式为 {"fact": 名称, "times": 倍数}。'),
                    path=path,
                )
                return
            other = check_fact(value["fact"], where=f"{path}.value")
            if other is not None and other.kind == SET:
                fail(gettext_noop("%(path)s：不能与标签类事实比较。"), path=path)
            if not _is_number(value["times"]) or value["times"] <= 0:
                fail(gettext_noop("%(path)s：倍数必须是正数。"), path=path)
        elif not _is_number(value):
            fail(
                gettext_noop("%(path)s：%(fact)s 的 value 必须是数字。"), path=path, fact=fact.name
            )

    walk(condition, 0, "$")
    return errors


def check(condition: Any, translate: Translate = _identity) -> None:
    errors = validate(condition, translate)
    if errors:
        raise RuleError(errors)


def leaves(condition: Any) -> Iterable[dict[str, Any]]:
    if isinstance(condition, dict):
        if "fact" in condition:
            yield condition
        for key in ("all", "any"):
            for child in condition.get(key, ()) or ():
                yield from leaves(child)
        if "not" in condition:
            yield from leaves(condition["not"])


def facts_used(condition: Any) -> set[str]:
    used: set[str] = set()
    for leaf in leaves(condition):
        used.add(leaf["fact"])
        if isinstance(leaf.get("value"), dict):
            used.add(leaf["value"]["fact"])
    return used


def is_time_dependent(condition: Any) -> bool:
    return any(FACTS[name].time for name in facts_used(condition) if name in FACTS)


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
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _target(leaf: Mapping[str, Any], facts: Facts) -> float | None:
    value: Any = leaf.get("value")
    if isinstance(value, dict):
        other = facts.get(value["fact"])
        return float(other) * float(value["times"]) if _known(other) else None
    return float(value) if value is not None else None


def leaf_holds(leaf: Mapping[str, Any], facts: Facts) -> bool:
    op, actual = leaf["op"], facts.get(leaf["fact"])
    if op == "known":
        return _known(actual)
    if op == "unknown":
        return not _known(actual)
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


def _used(leaves: Iterable[tuple[Any, bool]], facts: Facts) -> dict[str, Any]:
    used: dict[str, Any] = {}
    for leaf, _negated in leaves:
        value = leaf.get("value")
        for name in (leaf["fact"], value.get("fact") if isinstance(value, dict) else None):
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
    op, actual = leaf["op"], facts.get(leaf["fact"])
    if fact.kind == SET:
        has = (op == "has") != negated
        text = translate(
            gettext_noop("有%(label)s“%(name)s”")
            if has
            else gettext_noop("没有%(label)s“%(name)s”")
        )
        return text % {"label": label, "name": leaf["value"]}
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
    leaves = _why(condition, facts)
    phrases: list[str] = []
    for leaf, negated in leaves:
        phrase = describe_leaf(leaf, facts, translate, negated)
        if phrase not in phrases:
            phrases.append(phrase)
    return translate(gettext_noop("；")).join(phrases), _used(leaves, facts)


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
    leaves = _why(rule.condition, facts) if holds(rule.condition, facts) else []
    why = [
        [leaf["fact"], leaf["op"], leaf.get("value"), True]
        if negated
        else [leaf["fact"], leaf["op"], leaf.get("value")]
        for leaf, negated in leaves
    ]
    step: dict[str, Any] = {"rule": rule.name, "why": why}
    if reset:
        step["reset"] = True
    return step, _used(leaves, facts)


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


def describe_condition(condition: Mapping[str, Any], translate: Translate = _identity) -> str:
    """The condition itself in words (no customer): for rule lists."""
    if "all" in condition or "any" in condition:
        group = "all" if "all" in condition else "any"
        joiner = translate(gettext_noop(" 且 ") if group == "all" else gettext_noop(" 或 "))
        parts = [describe_condition(child, translate) for child in condition[group]]
        if len(parts) == 1:
            return parts[0]
        return translate(gettext_noop("（%(parts)s）")) % {"parts": joiner.join(parts)}
    if "not" in condition:
        return translate(gettext_noop("并非%(what)s")) % {
            "what": describe_condition(condition["not"], translate)
        }
    fact = FACTS.get(condition.get("fact", ""))
    if fact is None:
        return "?"
    label, op = fact.text(translate), condition.get("op", "")
    if op == "known":
        return translate(gettext_noop("%(label)s已知")) % {"label": label}
    if op == "unknown":
        return translate(gettext_noop("%(label)s未知")) % {"label": label}
    value = condition.get("value")
    if fact.kind == SET:
        text = (
            gettext_noop("有%(label)s“%(name)s”")
            if op == "has"
            else gettext_noop("没有%(label)s“%(name)s”")
        )
        return translate(text) % {"label": label, "name": value}
    if isinstance(value, dict):
        other = FACTS.get(value.get("fact", ""))
        right = (
            f"{format_number(value.get('times', 1))} × {other.text(translate) if other else '?'}"
        )
    else:
        right = f"{format_number(value, fact)} {translate(fact.unit) if fact.unit else ''}".strip()
    return f"{label} {OP_SYMBOLS.get(op, op)} {right}"


# --- rule sets: the stage machine and loop detection ------------------------------------------


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


# A literal of the DNF: (fact, op, rhs) where rhs is a number, a set member, None
# (known/unknown) or ("x", other fact, times) for a relative value.
Literal = tuple[str, str, Any]
Conjunction = frozenset[Literal]
NEGATE = {">": "<=", ">=": "<", "<": ">=", "<=": ">", "==": "!=", "!=": "=="}


def _leaf_literal(leaf: Mapping[str, Any], negated: bool) -> list[list[Literal]]:
    name, op = leaf["fact"], leaf["op"]
    value: Any = leaf.get("value")
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
    intervals: dict[tuple[str, Any], list[float | bool]] = {}
    excluded: dict[tuple[str, Any], set[float]] = {}
    for name, op, rhs in conjunction:
        if op == "known" and name in unknown:
            return False
        if op == "has" and (name, "lacks", rhs) in conjunction:
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
