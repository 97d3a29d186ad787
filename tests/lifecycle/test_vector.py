"""The engine decides for many customers at once (numpy columns); it must agree with
the rule language's own one-customer semantics on every customer, unknowns included."""

from __future__ import annotations

import random

import numpy as np
import pytest

from kehu.lifecycle import rules as rulebook
from kehu.lifecycle.engine import Columns, holds_many
from kehu.lifecycle.facts import WHOLE, FactTable

NUMBERS = [
    "orders_count",
    "revenue_total",
    "profit_total",
    "days_since_last_order",
    "median_gap_days",
    "latest_csat",
    "days_in_stage",
]
TAGS = ["VIP", "经销商", "老客户"]


def random_leaf(rng: random.Random) -> dict:
    kind = rng.random()
    if kind < 0.15:
        return {"fact": "tags", "op": rng.choice(["has", "lacks"]), "value": rng.choice(TAGS)}
    fact = rng.choice(NUMBERS)
    if kind < 0.25:
        return {"fact": fact, "op": rng.choice(["known", "unknown"])}
    op = rng.choice(rulebook.NUMBER_OPS)
    if kind < 0.45:
        other = rng.choice(NUMBERS)
        return {"fact": fact, "op": op, "value": {"fact": other, "times": rng.choice([1, 2, 0.5])}}
    return {"fact": fact, "op": op, "value": rng.choice([0, 1, 2, 3, 30, 60, 100.5])}


def random_condition(rng: random.Random, depth: int = 0) -> dict:
    if depth >= 3 or rng.random() < 0.4:
        return random_leaf(rng)
    kind = rng.choice(["all", "any", "not"])
    if kind == "not":
        return {"not": random_condition(rng, depth + 1)}
    return {kind: [random_condition(rng, depth + 1) for _ in range(rng.randint(1, 3))]}


def random_table(rng: random.Random, size: int) -> FactTable:
    numbers = {}
    for name in NUMBERS:
        values = [0, 1, 2, 3, 30, 60, 61] + ([] if name in WHOLE else [100.5, 0.25])
        column = np.array([rng.choice(values) for _ in range(size)], dtype=np.float64)
        column[[rng.random() < 0.2 for _ in range(size)]] = np.nan
        numbers[name] = column.astype(np.float64)
    sets = {"tags": {i: set(rng.sample(TAGS, rng.randint(0, 2))) for i in range(size)}, "flags": {}}
    return FactTable(np.arange(1, size + 1, dtype=np.int64), numbers, sets)


def test_holds_many_agrees_with_holds_on_random_rules_and_unknowns():
    rng = random.Random(20261129)
    table = random_table(rng, 300)
    rows = table.rows(range(len(table)))
    columns = Columns(table, {})
    for _ in range(300):
        condition = random_condition(rng)
        assert rulebook.validate(condition) == [], condition
        expected = [rulebook.holds(condition, row) for row in rows]
        assert holds_many(condition, columns).tolist() == expected, condition


def test_rows_give_none_for_unknown_and_whole_numbers_as_int():
    table = FactTable(
        np.array([7], dtype=np.int64),
        {"orders_count": np.array([3.0]), "median_gap_days": np.array([np.nan])},
    )
    row = table.row(0)
    assert row["orders_count"] == 3 and isinstance(row["orders_count"], int)
    assert row["median_gap_days"] is None
    assert row["tags"] == set() and table.position(7) == 0 and table.position(8) is None


def test_sqlite_time_text_with_or_without_offset_reads_the_same(db):
    from django.db import connection

    from kehu.lifecycle.facts import epochs

    if connection.vendor != "sqlite":
        pytest.skip("SQLite keeps times as text")
    plain = epochs(["2026-06-21 12:51:06.185655", "2026-06-21 12:51:06"])
    offset = epochs(["2026-06-21 12:51:06.185655+00:00", "2026-06-21 20:51:06+08:00"])
    assert plain.tolist() == offset.tolist() == [1782046266.185655, 1782046266.0]
