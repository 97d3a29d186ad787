"""Validation of conditions in the rule language, and what a condition reads.

Pure: no Django import. Split from ``rules``; read through it (``rules.validate``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from kehu.lifecycle.rules_facts import (
    BOTH,
    FACTS,
    LIFECYCLE,
    MAX_DEPTH,
    MAX_NODES,
    NUMBER,
    NUMBER_OPS,
    PRESENCE_OPS,
    SEGMENT,
    SET,
    SET_OPS,
    TEXT,
    TEXT_OPS,
    Fact,
    RuleError,
    Translate,
    _identity,
    gettext_noop,
)

# --- validation --------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) < 1e12
    )


def validate(condition: Any, translate: Translate = _identity, scope: str = LIFECYCLE) -> list[str]:
    """Messages for everything wrong with ``condition`` (empty: it may be saved).
    ``scope``: where it is used — a lifecycle rule (the default) or a segment."""
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
        if fact.scope not in (BOTH, scope):
            fail(gettext_noop("事实“%(name)s”只能用于客户分群。"), name=name)
            return None
        if scope == SEGMENT and fact.state:
            fail(
                gettext_noop("事实“%(name)s”只能用于生命周期规则；客户分群请用“在该阶段的天数”。"),
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
        extra = keys - {"fact", "op", "value", "model", "field"}
        if extra:
            fail(
                gettext_noop("%(path)s：未知的键 %(keys)s。"),
                path=path,
                keys=", ".join(sorted(extra)),
            )
        fact = check_fact(node["fact"], where=path)
        if fact is None:
            return
        model = node.get("model")
        if fact.per_model and (not isinstance(model, str) or not 0 < len(model) <= 40):
            fail(
                gettext_noop("%(path)s：%(fact)s 需要指定生命周期模型（model）。"),
                path=path,
                fact=fact.name,
            )
        elif not fact.per_model and "model" in keys:
            fail(gettext_noop("%(path)s：%(fact)s 不需要 model。"), path=path, fact=fact.name)
        field = node.get("field")
        if fact.per_field and (not isinstance(field, str) or not 0 < len(field) <= 50):
            fail(
                gettext_noop("%(path)s：%(fact)s 需要指定自定义字段（field）。"),
                path=path,
                fact=fact.name,
            )
        elif not fact.per_field and "field" in keys:
            fail(gettext_noop("%(path)s：%(fact)s 不需要 field。"), path=path, fact=fact.name)
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
        if fact.kind == TEXT:
            if op not in TEXT_OPS:
                fail(
                    gettext_noop("%(path)s：%(fact)s 只能用 is / is_not / known / unknown。"),
                    path=path,
                    fact=fact.name,
                )
            if not isinstance(value, str) or not value.strip() or len(value) > 64:
                fail(gettext_noop("%(path)s：value 必须是 1–64 字的文字。"), path=path)
            elif fact.choices and value not in {code for code, _label in fact.choices}:
                fail(
                    gettext_noop("%(path)s：%(fact)s 的取值“%(value)s”不在可选值 %(codes)s 中。"),
                    path=path,
                    fact=fact.name,
                    value=value,
                    codes=" ".join(code for code, _label in fact.choices),
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
            elif fact.choices and value not in {code for code, _label in fact.choices}:
                fail(
                    gettext_noop("%(path)s：%(fact)s 的取值“%(value)s”不在可选值 %(codes)s 中。"),
                    path=path,
                    fact=fact.name,
                    value=value,
                    codes=" ".join(code for code, _label in fact.choices),
                )
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
            if other is not None and (other.kind != NUMBER or other.per_model or other.per_field):
                fail(gettext_noop("%(path)s：不能与标签类事实比较。"), path=path)
            if not _is_number(value["times"]) or value["times"] <= 0:
                fail(gettext_noop("%(path)s：倍数必须是正数。"), path=path)
        elif not _is_number(value):
            fail(
                gettext_noop("%(path)s：%(fact)s 的 value 必须是数字。"), path=path, fact=fact.name
            )

    walk(condition, 0, "$")
    return errors


def check(condition: Any, translate: Translate = _identity, scope: str = LIFECYCLE) -> None:
    errors = validate(condition, translate, scope)
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
