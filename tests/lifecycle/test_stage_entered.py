"""Entering a stage is an event: rule, initial and manual moves reach the apps above."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kehu.core import events
from kehu.lifecycle.engine import lifecycle_evaluate, lifecycle_recompute
from kehu.lifecycle.models import LifecycleModel, StageChange
from kehu.lifecycle.services import stage_move
from tests.factories import make_customer
from tests.lifecycle.factories import buy, days_ago


@pytest.fixture
def heard() -> Iterator[list[events.CustomerEvents]]:
    got: list[events.CustomerEvents] = []
    events.subscribe_many("stage_entered", "tests.heard", got.append)
    yield got
    events.unsubscribe("stage_entered", "tests.heard")


def test_initial_and_rule_moves_are_batched_per_stage(org, engine_off, heard):
    first, second, buyer = (make_customer(org.sales, name=n) for n in ("甲", "乙", "丙"))
    lifecycle_evaluate([first.pk, second.pk, buyer.pk], now=days_ago(400))
    assert len(heard) == 1
    event = heard[0]
    assert event.customer_ids == tuple(sorted((first.pk, second.pk, buyer.pk)))
    model = LifecycleModel.objects.get(key="six_phase")
    identify = model.stages.get(key="identify")
    assert event.data["model_id"] == model.pk and event.data["stage_id"] == identify.pk
    assert event.data["how"] == "initial" and event.data["stage_kind"] == "normal"
    assert event.data["from_stage_ids"] == {pk: None for pk in event.customer_ids}
    change = StageChange.objects.get(customer=buyer, model=model)
    assert event.data["change_ids"][buyer.pk] == change.pk

    heard.clear()
    buy(org.sales, buyer, days_ago(300))
    lifecycle_recompute(now=days_ago(299))
    assert [(e.customer_ids, e.data["how"]) for e in heard] == [((buyer.pk,), "rule")]
    assert heard[0].data["from_stage_ids"] == {buyer.pk: identify.pk}
    assert heard[0].data["stage_id"] == model.stages.get(key="acquire").pk


def test_a_churned_stage_says_so(org, engine_off, heard):
    customer = make_customer(org.sales, name="老李")
    for ago in (300, 270, 240):
        buy(org.sales, customer, days_ago(ago))
    lifecycle_evaluate([customer.pk], now=days_ago(239))
    heard.clear()
    lifecycle_evaluate([customer.pk], now=days_ago(50))
    assert [e.data["stage_kind"] for e in heard] == ["churned"]


def test_a_manual_move_is_an_event_with_its_actor(org, engine_off, heard):
    customer = make_customer(org.sales, name="老张")
    lifecycle_evaluate([customer.pk], now=days_ago(10))
    heard.clear()
    model = LifecycleModel.objects.get(key="six_phase")
    retain = model.stages.get(key="retain")
    change = stage_move(
        actor=org.sales, customer=customer, model=model, stage=retain, reason="电话沟通后判断"
    )
    assert len(heard) == 1
    event = heard[0]
    assert event.customer_ids == (customer.pk,) and event.actor_id == org.sales.pk
    assert event.data["how"] == "manual" and event.data["change_ids"] == {customer.pk: change.pk}
    assert event.data["from_stage_ids"] == {customer.pk: model.stages.get(key="identify").pk}
