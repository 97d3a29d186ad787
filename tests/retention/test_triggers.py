"""What starts a playbook by itself: a stage entered, churn risk, a tier drop, a
segment — and not twice within the window."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kehu.core.events import CustomerEvents
from kehu.retention.models import PlaybookRun, Trigger
from kehu.retention.triggers import stage_entered, triggers_run
from kehu.segments.services import members_add, segment_create
from tests.factories import make_customer
from tests.retention.conftest import make_playbook, score, stage


def _event(customer_ids, key: str, how: str) -> CustomerEvents:
    target = stage(key)
    return CustomerEvents(
        "stage_entered",
        tuple(customer_ids),
        None,
        {
            "model_id": target.model_id,
            "stage_id": target.pk,
            "stage_kind": target.kind,
            "how": how,
            "from_stage_ids": dict.fromkeys(customer_ids),
            "change_ids": {},
        },
    )


def test_entering_the_stage_starts_the_playbook_for_the_batch(org):
    customers = [make_customer(org.sales, name=f"客户{i}") for i in range(3)]
    make_playbook(org.manager, trigger=Trigger.STAGE, stage_id=stage("retain").pk)
    stage_entered(_event([c.pk for c in customers], "retain", "rule"))
    assert PlaybookRun.objects.filter(trigger=Trigger.STAGE).count() == 3


def test_a_first_placement_starts_only_playbooks_that_include_it(org):
    customer = make_customer(org.sales)
    make_playbook(org.manager, trigger=Trigger.STAGE, stage_id=stage("retain").pk)
    stage_entered(_event([customer.pk], "retain", "initial"))
    assert not PlaybookRun.objects.exists()
    make_playbook(
        org.manager,
        name="含初次",
        trigger=Trigger.STAGE,
        stage_id=stage("retain").pk,
        include_initial=True,
    )
    stage_entered(_event([customer.pk], "retain", "initial"))
    assert PlaybookRun.objects.count() == 1


def test_churn_risk_at_the_threshold_starts_once_within_the_window(org):
    high, low = make_customer(org.sales, name="高"), make_customer(org.sales, name="低")
    score([high, low], risks={high.pk: 0.8, low.pk: 0.3})
    playbook = make_playbook(org.manager, trigger=Trigger.CHURN_RISK, risk_threshold=0.6)
    assert triggers_run()["started"] == 1
    assert list(PlaybookRun.objects.values_list("customer_id", flat=True)) == [high.pk]
    PlaybookRun.objects.update(outcome="lost", ended_at=timezone.now())
    assert triggers_run()["started"] == 0  # still at risk, but started within the window
    later = timezone.now() + dt.timedelta(days=playbook.window_days + 1)
    assert triggers_run(now=later)["started"] == 1


def test_a_tier_drop_between_two_scorings_starts(org):
    dropped, steady = make_customer(org.sales, name="降"), make_customer(org.sales, name="稳")
    score(
        [dropped, steady],
        tiers={dropped.pk: 4, steady.pk: 3},
        as_of=timezone.localdate() - dt.timedelta(days=1),
    )
    score([dropped, steady], tiers={dropped.pk: 2, steady.pk: 3})
    make_playbook(org.manager, trigger=Trigger.TIER_DROP, tier_drop=2)
    assert triggers_run()["started"] == 1
    assert PlaybookRun.objects.get().customer == dropped


def test_segment_members_start_and_the_audience_filters(org):
    inside, outside = make_customer(org.sales, name="甲"), make_customer(org.sales, name="乙")
    segment = segment_create(actor=org.manager, data={"name": "重点", "kind": "static"})
    members_add(actor=org.manager, segment=segment, customer_ids=[inside.pk])
    make_playbook(org.manager, trigger=Trigger.SEGMENT, segment_id=segment.pk)
    assert triggers_run()["started"] == 1
    assert PlaybookRun.objects.get().customer == inside
    # A stage playbook with the segment as its audience leaves the others out.
    make_playbook(
        org.manager,
        name="分群内",
        trigger=Trigger.STAGE,
        stage_id=stage("retain").pk,
        segment_id=segment.pk,
    )
    PlaybookRun.objects.update(outcome="lost")
    stage_entered(_event([inside.pk, outside.pk], "retain", "rule"))
    assert set(
        PlaybookRun.objects.filter(trigger=Trigger.STAGE).values_list("customer_id", flat=True)
    ) == {inside.pk}


def test_the_nightly_triggers_take_a_few_queries_whatever_the_number_of_customers(
    org, django_assert_max_num_queries
):
    customers = [make_customer(org.sales, name=f"客户{i}") for i in range(30)]
    score(customers, risks={c.pk: 0.9 for c in customers})
    make_playbook(org.manager, trigger=Trigger.CHURN_RISK, risk_threshold=0.5)
    with django_assert_max_num_queries(25):
        assert triggers_run()["started"] == 30


def test_the_lifecycle_event_reaches_retention(org):
    from kehu.core.events import subscribers
    from kehu.lifecycle.models import LifecycleModel
    from kehu.lifecycle.services import stage_move

    assert "retention" in subscribers()["stage_entered"]
    assert "retention" in subscribers()["order_recorded"]
    customer = make_customer(org.sales)
    make_playbook(org.manager, trigger=Trigger.STAGE, stage_id=stage("retain").pk)
    stage_move(
        actor=org.manager,
        customer=customer,
        model=LifecycleModel.objects.get(key="six_phase"),
        stage=stage("retain"),
        reason="多次投诉",
    )
    run = PlaybookRun.objects.get(customer=customer)
    stage_move(
        actor=org.manager,
        customer=customer,
        model=LifecycleModel.objects.get(key="six_phase"),
        stage=stage("exit"),
        reason="已转向竞争对手",
    )
    run.refresh_from_db()
    assert run.outcome == "lost"


def test_a_playbook_that_cannot_start_does_not_stop_the_lifecycle_move(org):
    from django.utils import timezone

    from kehu.lifecycle.models import CustomerStage, LifecycleModel
    from kehu.lifecycle.services import stage_move
    from kehu.messaging.models import MessageTemplate

    template = MessageTemplate.objects.create(name="短信", channel="sms", body="您好")
    make_playbook(
        org.manager,
        trigger=Trigger.STAGE,
        stage_id=stage("retain").pk,
        steps=[{"kind": "message", "template_id": template.pk}],
    )
    MessageTemplate.objects.filter(pk=template.pk).update(deleted_at=timezone.now())
    customer = make_customer(org.sales)
    model = LifecycleModel.objects.get(key="six_phase")
    stage_move(actor=org.manager, customer=customer, model=model, stage=stage("retain"), reason="x")
    assert CustomerStage.objects.get(customer=customer, model=model).stage == stage("retain")
    assert not PlaybookRun.objects.exists()
