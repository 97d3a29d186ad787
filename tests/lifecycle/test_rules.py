"""The rule language: validation, evaluation, explanations and loop detection."""

from __future__ import annotations

import pytest

from kehu.lifecycle import rules
from kehu.lifecycle.rules import RuleSpec

TWICE_GAP = {
    "all": [
        {
            "fact": "days_since_last_order",
            "op": ">=",
            "value": {"fact": "median_gap_days", "times": 2},
        },
        {"fact": "days_since_last_order", "op": ">=", "value": 60},
    ]
}


def test_two_times_the_gap_example_in_plain_words():
    facts = {"days_since_last_order": 94, "median_gap_days": 31}
    matched, used = rules.evaluate(TWICE_GAP, facts)
    assert matched and used == {"days_since_last_order": 94, "median_gap_days": 31}
    assert rules.explain(TWICE_GAP, facts).startswith(
        "最近一次购买距今 94 天，超过其平均购买间隔 31 天的 2 倍"
    )


def test_a_condition_in_english_has_english_punctuation():
    from django.utils import translation

    with translation.override("en"):
        words = rules.describe_condition(TWICE_GAP, translation.gettext)
    assert words.startswith("(") and words.endswith(")") and " and " in words
    assert rules.describe_condition(TWICE_GAP).startswith("（")


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"days_since_last_order": 61, "median_gap_days": 31}, False),  # < 2 × 31
        ({"days_since_last_order": 59, "median_gap_days": 10}, False),  # < 60 days
        ({"days_since_last_order": 100, "median_gap_days": None}, False),  # no rhythm
        ({"days_since_last_order": 62, "median_gap_days": 31}, True),
    ],
)
def test_relative_comparison_and_unknown_facts(facts, expected):
    assert rules.holds(TWICE_GAP, facts) is expected


def test_any_not_tags_and_presence():
    condition = {
        "any": [
            {"fact": "tags", "op": "has", "value": "VIP"},
            {"not": {"fact": "latest_csat", "op": "<=", "value": 2}},
        ]
    }
    assert rules.holds(condition, {"tags": {"VIP"}, "latest_csat": 1})
    assert rules.holds(condition, {"tags": set(), "latest_csat": None})
    assert not rules.holds(condition, {"tags": set(), "latest_csat": 2})
    assert rules.holds({"fact": "median_gap_days", "op": "unknown"}, {"median_gap_days": None})


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"fact": "shoe_size", "op": ">", "value": 1}, "未知的事实“shoe_size”"),
        ({"fact": "orders_count", "op": "~", "value": 1}, "不支持的比较"),
        ({"fact": "orders_count", "op": ">", "value": "many"}, "必须是数字"),
        ({"fact": "tags", "op": ">", "value": "VIP"}, "has / lacks"),
        ({"all": []}, "至少一个条件"),
        ({"fact": "orders_count", "op": ">", "value": {"fact": "nope", "times": 2}}, "未知的事实"),
        (
            {"fact": "orders_count", "op": ">", "value": {"fact": "median_gap_days", "times": -1}},
            "倍数",
        ),
        ("orders_count > 1", "必须是对象"),
    ],
)
def test_validation_refuses_bad_conditions(condition, message):
    errors = rules.validate(condition)
    assert errors and any(message in error for error in errors), errors


def test_a_deeply_nested_condition_is_refused():
    node: dict = {"fact": "orders_count", "op": ">", "value": 1}
    for _ in range(20):
        node = {"not": node}
    assert any("嵌套过深" in error for error in rules.validate(node))


def spec(pk, frm, to, condition, priority):
    return RuleSpec(pk, f"r{pk}", tuple(frm), to, condition, priority)


def count_at_least(n):
    return {"fact": "orders_count", "op": ">=", "value": n}


def test_back_and_forth_rules_are_refused():
    loop = [spec(1, ["a"], "b", count_at_least(1), 10), spec(2, ["b"], "a", count_at_least(2), 20)]
    with pytest.raises(rules.RuleError, match="来回移动"):
        rules.check_rule_set(loop, ["a", "b"])


def test_exclusive_conditions_and_priority_are_not_a_loop():
    exclusive = [
        spec(1, ["a"], "b", count_at_least(2), 10),
        spec(2, ["b"], "a", {"fact": "orders_count", "op": "<", "value": 2}, 20),
    ]
    rules.check_rule_set(exclusive, ["a", "b"])
    # From any stage: the higher-priority rule claims the customer first.
    classify = [spec(1, [], "b", count_at_least(2), 10), spec(2, [], "a", count_at_least(1), 20)]
    rules.check_rule_set(classify, ["a", "b"])


def test_three_stage_circle_is_refused():
    circle = [
        spec(1, ["a"], "b", count_at_least(1), 10),
        spec(2, ["b"], "c", count_at_least(1), 20),
        spec(3, ["c"], "a", {"fact": "revenue_total", "op": ">", "value": 0}, 30),
    ]
    with pytest.raises(rules.RuleError, match="a → b → c → a"):
        rules.check_rule_set(circle, ["a", "b", "c"])


def test_rule_sets_name_stages_of_their_model_and_need_stages():
    with pytest.raises(rules.RuleError, match="不属于该模型"):
        rules.check_rule_set([spec(1, ["a"], "zzz", count_at_least(1), 10)], ["a", "b"])
    with pytest.raises(rules.RuleError, match="还没有阶段"):
        rules.check_rule_set([], [])


def test_time_dependence():
    assert rules.is_time_dependent(TWICE_GAP)
    assert not rules.is_time_dependent(count_at_least(1))


def _translate_to_test(message: str) -> str:
    """A stand-in for gettext: every message marked, so a reader's language shows."""
    return {
        "超过": "more than",
        "纳入生命周期模型": "Placed",
        "%(rule)s：%(why)s": "%(rule)s: %(why)s",
    }.get(message, message)


def test_an_explanation_kept_as_data_reads_as_the_words_did():
    """``explanation_step`` keeps the rule and the leaves that decided it, not words;
    ``explanation_text`` words them with the facts kept beside — the same words
    ``explain`` gives, in the language of the translate function it is handed."""
    facts = {
        "days_since_last_order": 94,
        "median_gap_days": 31,
        "tags": {"VIP"},
        "latest_csat": None,
    }
    unhappy = {
        "any": [
            {"not": {"fact": "tags", "op": "has", "value": "VIP"}},
            {"not": {"fact": "latest_csat", "op": ">", "value": 2}},
        ]
    }
    lapsed = RuleSpec(1, "流失", (), "retain", TWICE_GAP, 1)
    sad = RuleSpec(2, "不满", (), "exit", unhappy, 2)
    first, used = rules.explanation_step(lapsed, facts)
    second, more = rules.explanation_step(sad, facts, reset=True)
    assert first == {
        "rule": "流失",
        "why": [
            ["days_since_last_order", ">=", {"fact": "median_gap_days", "times": 2}],
            ["days_since_last_order", ">=", 60],
        ],
    }
    assert second["reset"] and second["why"] == [["latest_csat", ">", 2, True]]
    kept = {**used, **more}
    explanation = {"placed": True, "steps": [first, second]}
    words = rules.explanation_text(explanation, kept)
    lapsed_why, unhappy_why = rules.explain(TWICE_GAP, facts), rules.explain(unhappy, facts)
    assert words == f"纳入生命周期模型 → 流失：{lapsed_why} → 不满：{unhappy_why}"
    english = rules.explanation_text(explanation, kept, _translate_to_test)
    assert english.startswith("Placed → 流失: 最近一次购买距今 94 天，more than")


def test_an_explanation_after_a_move_reads_the_stage_facts_as_zero():
    """A second rule applied in one evaluation (the customer has just moved) read the
    stage facts as 0; the facts kept are the ones the first rule read."""
    settled = {"fact": "days_in_stage", "op": ">=", "value": 30}
    fresh = {"fact": "days_in_stage", "op": "<", "value": 1}
    first, used = rules.explanation_step(
        RuleSpec(1, "久", (), "b", settled, 1), {"days_in_stage": 40}
    )
    second, _more = rules.explanation_step(
        RuleSpec(2, "新", (), "c", fresh, 2), {"days_in_stage": 0}, reset=True
    )
    words = rules.explanation_text({"steps": [first, second]}, used)
    assert used == {"days_in_stage": 40}
    assert words == "久：在当前阶段 40 天，超过 30 天 → 新：在当前阶段 0 天，少于 1 天"


def test_an_explanation_this_version_cannot_word_keeps_what_it_can():
    """A leaf on a fact since removed (or not a leaf at all) is left out; no steps at all
    reads as a placement."""
    explanation = {
        "steps": [{"rule": "旧", "why": [["shoe_size", ">", 1], ["orders_count", ">=", 1], "?"]}]
    }
    assert rules.explanation_text(explanation, {"orders_count": 2}) == "旧：订单数 2 单，超过 1 单"
    assert rules.explanation_text({"steps": []}, {}) == "纳入生命周期模型"
