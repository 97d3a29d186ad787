"""The key correctness test: a rule compiled to SQL selects exactly the customers the
rule language's own evaluation (``rules.holds`` on ``evaluate.segment_facts``) does,
on a small population with every kind of fact, for hand-written and random rules."""

from __future__ import annotations

import random
from typing import Any

import pytest

from kehu.lifecycle import rules as rulebook
from kehu.segments.audience import rule_customers, rule_errors
from kehu.segments.compile import scalar
from kehu.segments.evaluate import segment_facts
from tests.segments.conftest import World

pytestmark = pytest.mark.django_db

HAND_WRITTEN: list[dict[str, Any]] = [
    {"fact": "province", "op": "is", "value": "广东"},
    {"not": {"fact": "province", "op": "is", "value": "广东"}},
    {"fact": "city", "op": "is_not", "value": "广州"},
    {"fact": "gender", "op": "unknown"},
    {"fact": "age", "op": ">=", "value": 40},
    {"not": {"fact": "age", "op": "<", "value": 30.5}},
    {"fact": "age", "op": "==", "value": 35},
    {"fact": "orders_count", "op": ">=", "value": 3},
    {"fact": "days_since_last_order", "op": "<=", "value": 90},
    {"not": {"fact": "days_since_last_order", "op": ">", "value": 120}},
    {"fact": "days_since_first_order", "op": "!=", "value": 200},
    {"fact": "median_gap_days", "op": "unknown"},
    {"fact": "revenue_365d", "op": ">", "value": {"fact": "revenue_90d", "times": 3}},
    {"fact": "profit_total", "op": ">=", "value": 500},
    {"fact": "tier", "op": ">=", "value": 3},
    {"fact": "rfm_segment", "op": "is", "value": "champions"},
    {"fact": "value_group", "op": "is_not", "value": "top"},
    {"fact": "churn_risk", "op": ">", "value": 0.5},
    {"fact": "rfm_r", "op": ">=", "value": 3},
    {"fact": "tags", "op": "has", "value": "VIP"},
    {"not": {"fact": "tags", "op": "lacks", "value": "老客户"}},
    {"fact": "flags", "op": "has", "value": "key_account"},
    {"fact": "order_channels", "op": "has", "value": "wechat"},
    {"fact": "interests", "op": "has", "value": "钓鱼"},
    {"not": {"fact": "interests", "op": "has", "value": "茶"}},
    {"fact": "custom_number", "field": "size", "op": ">=", "value": 12},
    {"not": {"fact": "custom_number", "field": "size", "op": "<", "value": 12.5}},
    {"fact": "custom_number", "field": "size", "op": "unknown"},
    {"fact": "custom_text", "field": "level", "op": "is", "value": "A"},
    {"not": {"fact": "custom_text", "field": "level", "op": "is_not", "value": "B"}},
    {"not": {"fact": "order_channels", "op": "lacks", "value": "store"}},
    {"fact": "categories", "op": "has", "value": "饮料"},
    {"fact": "categories", "op": "lacks", "value": "零食"},
    {"fact": "products", "op": "has", "value": "COLA"},
    {"fact": "products", "op": "lacks", "value": "CHIPS"},
    {"fact": "stage", "model": "segtest", "op": "is", "value": "active"},
    {"not": {"fact": "stage", "model": "segtest", "op": "is_not", "value": "lost"}},
    {"fact": "stage", "model": "segtest", "op": "unknown"},
    {"fact": "stage_days", "model": "segtest", "op": ">", "value": 30},
    {"fact": "latest_csat", "op": ">=", "value": 4},
    {"fact": "latest_nps", "op": "<", "value": 7},
    {"fact": "open_complaints", "op": "==", "value": 0},
    {"fact": "days_since_last_interaction", "op": "<", "value": 30},
    {"fact": "days_since_created", "op": ">=", "value": 365},
    {
        "all": [
            {"fact": "city", "op": "is", "value": "广州"},
            {"fact": "orders_count", "op": ">=", "value": 2},
            {"fact": "days_since_last_order", "op": "<=", "value": 180},
            {"fact": "stage", "model": "segtest", "op": "is", "value": "active"},
            {"fact": "tier", "op": ">=", "value": 2},
        ]
    },
]


def _python(rule: dict[str, Any], facts: dict[int, dict[str, Any]]) -> set[int]:
    return {pk for pk, row in facts.items() if rulebook.holds(rule, row)}


def _sql(rule: dict[str, Any], world: World) -> set[int]:
    return set(rule_customers(rule, world.now).values_list("pk", flat=True))


def test_hand_written_rules_agree(world: World) -> None:
    facts = segment_facts([c.pk for c in world.customers], now=world.now)
    assert len(facts) == len(world.customers)
    assert any(row.get("rfm_r") for row in facts.values()), "the scoring ran"
    between = 0
    for rule in HAND_WRITTEN:
        assert rule_errors(rule) == [], rule
        expected = _python(rule, facts)
        assert _sql(rule, world) == expected, rule
        between += 0 < len(expected) < len(facts)
    assert between >= len(HAND_WRITTEN) - 3, "the rules select some, not all or none"


def _leaf(rng: random.Random, facts: list[dict[str, Any]]) -> dict[str, Any]:
    names = [
        f
        for f in rulebook.FACTS.values()
        if f.scope != rulebook.LIFECYCLE and not f.state and f.available
    ]
    fact = rng.choice(names)
    leaf: dict[str, Any] = {"fact": fact.name}
    if fact.per_model:
        leaf["model"] = "segtest"
    if fact.per_field:
        leaf["field"] = "size" if fact.kind == rulebook.NUMBER else "level"
    key = rulebook.fact_key(leaf)
    seen = [row.get(key) for row in facts if row.get(key) not in (None, "")]
    if rng.random() < 0.1:
        leaf["op"] = rng.choice(rulebook.PRESENCE_OPS)
        if fact.kind == rulebook.SET:
            leaf["op"] = rng.choice(rulebook.SET_OPS)
            leaf["value"] = rng.choice(["VIP", "老客户", "key_account"])
        return leaf
    if fact.kind == rulebook.SET:
        leaf["op"] = rng.choice(rulebook.SET_OPS)
        leaf["value"] = {
            "flags": "key_account",
            "order_channels": rng.choice(["wechat", "store", "phone"]),
            "categories": rng.choice(["饮料", "零食"]),
            "products": rng.choice(["COLA", "CHIPS", "NONE"]),
            "interests": rng.choice(["钓鱼", "茶", "Golf", "golf"]),
        }.get(fact.name, rng.choice(["VIP", "老客户"]))
    elif fact.kind == rulebook.TEXT:
        leaf["op"] = rng.choice(rulebook.TEXT_OPS)
        codes = [code for code, _l in fact.choices] or ["新客", "广州", "x"]
        leaf["value"] = str(rng.choice(seen)) if seen and rng.random() < 0.8 else rng.choice(codes)
    else:
        leaf["op"] = rng.choice(rulebook.NUMBER_OPS)
        if scalar(fact.name) and not fact.per_field and rng.random() < 0.15:
            other = rng.choice([n for n in rulebook.FACTS if scalar(n)])
            leaf["value"] = {"fact": other, "times": rng.choice([0.5, 1, 2])}
        elif seen:
            value = float(rng.choice(seen)) + rng.choice([0, 0, 1, -1, 0.5])
            leaf["value"] = round(value, 2)
        else:
            leaf["value"] = rng.randint(0, 10)
    return leaf


def _tree(rng: random.Random, facts: list[dict[str, Any]], depth: int) -> dict[str, Any]:
    roll = rng.random()
    if depth >= 3 or roll < 0.4:
        return _leaf(rng, facts)
    if roll < 0.5:
        return {"not": _tree(rng, facts, depth + 1)}
    group = "all" if roll < 0.75 else "any"
    return {group: [_tree(rng, facts, depth + 1) for _i in range(rng.randint(1, 4))]}


def test_random_rules_agree(world: World) -> None:
    facts = segment_facts([c.pk for c in world.customers], now=world.now)
    rows = list(facts.values())
    rng = random.Random(20)
    checked = between = 0
    for _i in range(150):
        rule = _tree(rng, rows, 0)
        if rule_errors(rule):
            continue
        expected = _python(rule, facts)
        assert _sql(rule, world) == expected, rule
        checked += 1
        between += 0 < len(expected) < len(facts)
    assert checked > 100
    assert between > checked // 3
