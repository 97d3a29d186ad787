"""Evaluation: the shipped six-phase model, won back, determinism, events."""

from __future__ import annotations

import pytest
from django.db import transaction

from kehu.lifecycle.engine import lifecycle_evaluate, lifecycle_recompute
from kehu.lifecycle.facts import customer_facts
from kehu.lifecycle.models import CustomerStage, LifecycleModel, StageChange
from tests.factories import make_customer
from tests.lifecycle.factories import NOW, buy, days_ago


def stage_of(customer, key="six_phase"):
    row = (
        CustomerStage.objects.filter(customer=customer, model__key=key)
        .select_related("stage")
        .first()
    )
    return row.stage.key if row else None


@pytest.fixture
def customer(org):
    return make_customer(org.sales, name="老王")


def test_seeded_models(db):
    models = {m.key: m for m in LifecycleModel.objects.all()}
    assert set(models) == {"six_phase", "call_center", "four_states", "relationship"}
    assert models["six_phase"].is_default and models["six_phase"].is_active
    assert not any(m.is_active for k, m in models.items() if k != "six_phase")
    assert [s.name for s in models["six_phase"].stages.order_by("position")] == [
        "识别",
        "获取",
        "发展",
        "维护",
        "挽留",
        "退出",
    ]


def test_facts_of_a_customer(org, customer):
    buy(org.sales, customer, days_ago(100), "100.00", cost="60.00")
    buy(org.sales, customer, days_ago(69), "50.00")  # cost unknown
    buy(org.sales, customer, days_ago(69.01), "10.00", cost="1.00")  # same day
    buy(org.sales, customer, days_ago(40), "40.00", cost="10.00")
    facts = customer_facts(customer.pk, now=NOW)
    assert facts["orders_count"] == 4
    assert facts["revenue_total"] == 200.0
    assert facts["profit_total"] is None
    assert facts["revenue_90d"] == 100.0
    assert facts["days_since_last_order"] == 40
    assert facts["median_gap_days"] == 30  # gaps 31 and 29 between three purchase days
    assert facts["open_complaints"] == 0 and facts["latest_csat"] is None


def test_a_customer_travels_the_six_phases_and_is_won_back(org, customer, engine_off):
    lifecycle_evaluate([customer.pk], now=days_ago(400))
    assert stage_of(customer) == "identify"
    buy(org.sales, customer, days_ago(300))
    lifecycle_evaluate([customer.pk], now=days_ago(299))
    assert stage_of(customer) == "acquire"
    buy(org.sales, customer, days_ago(270))
    lifecycle_evaluate([customer.pk], now=days_ago(269))
    assert stage_of(customer) == "develop"
    buy(org.sales, customer, days_ago(240))
    lifecycle_evaluate([customer.pk], now=days_ago(239))
    assert stage_of(customer) == "maintain"
    # Gap 30 days: no order for 2 × 30 and ≥ 60 days → 挽留, explained in words.
    lifecycle_evaluate([customer.pk], now=days_ago(150))
    assert stage_of(customer) == "retain"
    change = StageChange.objects.filter(customer=customer).first()
    assert "最近一次购买距今 90 天，超过其平均购买间隔 30 天的 2 倍" in change.reason_text
    assert change.facts["median_gap_days"] == 30
    # 4 × the gap and ≥ 180 days → 退出.
    lifecycle_evaluate([customer.pk], now=days_ago(50))
    assert stage_of(customer) == "exit"
    # A returning purchase → back to 发展 (won back), and it stays there.
    buy(org.sales, customer, days_ago(10))
    lifecycle_evaluate([customer.pk], now=days_ago(9))
    assert stage_of(customer) == "develop"
    assert StageChange.objects.filter(customer=customer).first().rule.name == "重新购买：赢回"
    assert lifecycle_evaluate([customer.pk], now=days_ago(8)) == 0
    kinds = list(
        StageChange.objects.filter(customer=customer).order_by("at").values_list("kind", flat=True)
    )
    assert kinds[0] == "initial" and set(kinds[1:]) == {"rule"}


def test_evaluation_is_deterministic_and_idempotent(org, customer, engine_off):
    other = make_customer(org.sales, name="小李")
    for when in (300, 250, 200):
        buy(org.sales, customer, days_ago(when))
    buy(org.sales, other, days_ago(5))
    StageChange.objects.all().delete()
    CustomerStage.objects.all().delete()
    assert lifecycle_evaluate([customer.pk, other.pk], now=NOW) == 2
    first = {(r.customer_id, r.stage_id) for r in CustomerStage.objects.all()}
    assert lifecycle_evaluate([customer.pk, other.pk], now=NOW) == 0
    assert {(r.customer_id, r.stage_id) for r in CustomerStage.objects.all()} == first
    # A first placement lands where the history says, in one "initial" change.
    assert stage_of(customer) == "exit" and stage_of(other) == "acquire"
    assert StageChange.objects.filter(customer=customer).get().kind == "initial"


def test_recompute_of_some_customers_walks_only_those(org, engine_off):
    """``customer_ids`` in runs of ``chunk``: the others, and the deleted, untouched."""
    made = [make_customer(org.sales, name=f"客户{i}") for i in range(7)]
    for person in made:
        buy(org.sales, person, days_ago(5))
    made[3].deleted_at = NOW
    made[3].save(update_fields=["deleted_at"])
    StageChange.objects.all().delete()
    CustomerStage.objects.all().delete()
    asked = [made[i].pk for i in (6, 0, 3, 2, 4)]
    walked: list[int] = []
    result = lifecycle_recompute(now=NOW, customer_ids=asked, chunk=2, progress=walked.append)
    placed = set(
        CustomerStage.objects.filter(model__key="six_phase").values_list("customer_id", flat=True)
    )
    assert placed == {made[i].pk for i in (0, 2, 4, 6)}
    assert result.customers == 4 and sum(walked) == 4


def test_recording_an_order_moves_the_stage_in_the_same_transaction(org, customer):
    lifecycle_evaluate([customer.pk], now=days_ago(1))
    assert stage_of(customer) == "identify"
    with transaction.atomic():
        buy(org.sales, customer, days_ago(0.5))
        assert stage_of(customer) == "acquire"  # before the transaction commits
        transaction.set_rollback(True)
    assert stage_of(customer) == "identify"


def test_an_order_batch_is_one_evaluation(org, customer, django_assert_max_num_queries):
    from decimal import Decimal

    from kehu.orders.services import OrderData, orders_ingest

    others = [make_customer(org.sales, name=f"客户{i}") for i in range(5)]
    items = [
        OrderData(
            source="shop",
            external_id=f"B-{c.pk}",
            ordered_at=days_ago(1),
            customer_id=c.pk,
            total=Decimal("9.00"),
        )
        for c in [customer, *others]
    ]
    with django_assert_max_num_queries(40):
        orders_ingest(actor=org.sales, items=items)
    assert {stage_of(c) for c in [customer, *others]} == {"acquire"}


def test_inactive_models_are_not_evaluated_and_models_by_key(org, customer, engine_off):
    buy(org.sales, customer, days_ago(3))
    assert stage_of(customer, "four_states") is None
    lifecycle_evaluate([customer.pk], now=NOW, models=["four_states"])
    assert stage_of(customer, "four_states") == "new"


def test_complaints_and_satisfaction_put_a_customer_at_risk(org, customer, engine_off):
    from kehu.surveys.models import Satisfaction

    for when in (100, 70, 40):
        buy(org.sales, customer, days_ago(when))
    lifecycle_evaluate([customer.pk], now=NOW)
    assert stage_of(customer) == "maintain"
    Satisfaction.objects.create(customer=customer, csat=1, answered_at=days_ago(1))
    lifecycle_evaluate([customer.pk], now=NOW)
    assert stage_of(customer) == "retain"
    change = StageChange.objects.filter(customer=customer).first()
    assert "最近满意度评分 1 分" in change.reason_text


def test_value_facts_come_from_the_latest_scoring_run(org, customer, engine_off):
    from decimal import Decimal

    from kehu.value.models import CustomerValue, RunStatus, ScoreRun

    assert customer_facts(customer.pk, now=NOW)["p_alive"] is None  # not scored yet
    run = ScoreRun.objects.create(
        as_of=NOW.date(), started_at=NOW, finished_at=NOW, status=RunStatus.SUCCEEDED
    )
    CustomerValue.objects.create(
        run=run, customer=customer, recency_days=3, r=5, f=4, m=3, rfm_score=12,
        rfm_segment="champions", orders=9, revenue=Decimal("900.00"), segment="top", tier=4,
        clv=Decimal("1234.50"), p_alive=0.18, expected_purchases_90d=0.4, risk=0.7,
        money_at_stake=Decimal("10.00"),
    )  # fmt: skip
    facts = customer_facts(customer.pk, now=NOW)
    assert (facts["rfm_score"], facts["tier"], facts["p_alive"]) == (12, 4, 0.18)
    assert (facts["clv"], facts["churn_risk"]) == (1234.5, 0.7)


def test_why_is_worked_out_once_per_case_in_no_language(org, engine_off):
    """Customers whose rules read the same values share why they moved (worked out
    once); another value gets its own. Why is kept as data, not words: a change made
    while English is active is the same as one made in Chinese, and each reads in the
    reader's language."""
    from django.utils import translation

    alike = [make_customer(org.sales, name=f"同{i}") for i in range(2)]
    later, english = make_customer(org.sales, name="晚"), make_customer(org.sales, name="英")
    for customer in [*alike, english]:
        buy(org.sales, customer, days_ago(200))
    buy(org.sales, later, days_ago(250))
    lifecycle_evaluate([customer.pk for customer in [*alike, later]], now=NOW)
    with translation.override("en"):
        lifecycle_evaluate([english.pk], now=NOW)
    changes = {change.customer_id: change for change in StageChange.objects.all()}
    first, second = (changes[customer.pk] for customer in alike)
    assert (first.explanation, first.facts) == (second.explanation, second.facts)
    assert first.reason == "" and "最近一次购买距今 200 天，超过 180 天" in first.reason_text
    assert first.facts == {"orders_count": 1, "median_gap_days": None, "days_since_last_order": 200}
    assert "最近一次购买距今 250 天" in changes[later.pk].reason_text
    assert changes[later.pk].facts["days_since_last_order"] == 250
    made_in_english = changes[english.pk]
    assert (made_in_english.explanation, made_in_english.facts) == (first.explanation, first.facts)
    assert made_in_english.reason_text == first.reason_text
    assert made_in_english.reason_text.startswith("纳入生命周期模型")
    with translation.override("en"):
        assert first.reason_text.startswith("Added to the lifecycle model")
        assert "Time since last purchase: 200 days, more than 180 days" in first.reason_text


def test_side_facts_asked_for_alone_read_as_in_the_full_read(org, customer):
    """The side statement reads only the columns the rules need: each fact read alone (a
    model whose rules read only it) equals the full read, and a rule on days in stage
    gets the customer's age for a first placement."""
    from kehu.complaints.models import Complaint
    from kehu.customers.models import Customer
    from kehu.lifecycle.facts import fact_table
    from kehu.surveys.models import Satisfaction

    Complaint.objects.create(
        customer=customer, channel="phone", category="quality", severity="high",
        description="坏了", received_at=days_ago(3), response_due_at=days_ago(2),
        resolution_due_at=days_ago(1),
    )  # fmt: skip
    Satisfaction.objects.create(customer=customer, csat=2, nps=9, answered_at=days_ago(1))
    Customer.objects.filter(pk=customer.pk).update(
        created_at=days_ago(40.5), last_contact_at=days_ago(12.5)
    )
    every = customer_facts(customer.pk, now=NOW)
    side = {
        "days_since_created": 40,
        "days_since_last_interaction": 12,
        "open_complaints": 1,
        "open_severe_complaints": 1,
        "latest_csat": 2,
        "latest_nps": 9,
    }
    assert {name: every[name] for name in side} == side
    for name, value in side.items():
        assert fact_table([customer.pk], now=NOW, needed={name}).row(0)[name] == value
    alone = fact_table([customer.pk], now=NOW, needed={"days_in_stage"}).row(0)
    assert alone["days_since_created"] == 40
