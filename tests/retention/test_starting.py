"""Starting a playbook: runs, the hold-out, the steps in 我的工作, and refusals."""

from __future__ import annotations

import random

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from kehu.followups.models import Task, TaskStatus
from kehu.followups.selectors import my_work
from kehu.messaging.models import MessageTemplate
from kehu.retention.models import Outcome, PlaybookRun, RunStep, StepKind
from kehu.retention.services import playbook_start, steps_sync
from kehu.retention.starting import Refusal
from tests.factories import make_customer
from tests.retention.conftest import make_playbook, score


def test_a_start_makes_a_run_and_the_steps_as_tasks_of_their_owners(org, rng):
    customer = make_customer(org.sales, name="李四")
    score([customer], clv="800.00")
    playbook = make_playbook(org.manager)
    result = playbook_start(
        actor=org.manager, playbook=playbook, customer_ids=[customer.pk], rng=rng
    )
    assert result.started == [customer.pk] and not result.refused
    run = PlaybookRun.objects.get(customer=customer)
    assert run.outcome == Outcome.OPEN and not run.held_out
    assert str(run.value_before) == "800.00" and run.churn_reason == "rhythm_break"
    assert run.owner == org.sales and run.team == org.east
    steps = list(RunStep.objects.filter(run=run).order_by("order"))
    assert [(s.kind, s.owner) for s in steps] == [
        (StepKind.CALL, org.sales),
        (StepKind.REVIEW, org.manager),
    ]
    task = steps[0].task
    assert task.assignee == org.sales and task.status == TaskStatus.OPEN
    assert "李四" in task.title_text and "高风险挽留" in task.title_text
    # The salesperson's 我的工作 lists the call.
    work = my_work(org.sales)
    assert task.pk in {t.pk for group in work.groups for t in group.rows}


def test_done_in_my_work_reaches_the_step(org, rng):
    from kehu.followups.services import task_finish

    customer = make_customer(org.sales)
    playbook = make_playbook(org.manager)
    playbook_start(actor=org.manager, playbook=playbook, customer_ids=[customer.pk], rng=rng)
    step = RunStep.objects.filter(run__customer=customer).order_by("order").first()
    task_finish(actor=org.sales, task=step.task, status=TaskStatus.DONE, result="客户说价格高")
    assert steps_sync() == 1
    step.refresh_from_db()
    assert step.done_at is not None and step.result == "客户说价格高" and not step.skipped


def test_a_second_playbook_for_the_same_customer_is_refused_and_changes_nothing(org, rng):
    customer = make_customer(org.sales)
    first = make_playbook(org.manager)
    second = make_playbook(org.manager, name="第二个方案")
    playbook_start(actor=org.manager, playbook=first, customer_ids=[customer.pk], rng=rng)
    tasks = Task.objects.count()
    result = playbook_start(actor=org.manager, playbook=second, customer_ids=[customer.pk], rng=rng)
    assert result.started == [] and result.refused == {customer.pk: Refusal.ALREADY_OPEN}
    assert PlaybookRun.objects.filter(customer=customer).count() == 1
    assert Task.objects.count() == tasks


def test_the_database_keeps_one_open_run_per_customer(org):
    customer = make_customer(org.sales)
    playbook = make_playbook(org.manager)
    now = timezone.now()
    PlaybookRun.objects.create(
        playbook=playbook, customer=customer, started_at=now, window_ends_at=now
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        PlaybookRun.objects.create(
            playbook=playbook, customer=customer, started_at=now, window_ends_at=now
        )


def test_the_hold_out_share_is_drawn_at_random_and_gets_no_steps(org):
    customers = [make_customer(org.sales, name=f"客户{i}") for i in range(40)]
    playbook = make_playbook(org.manager, holdout_percent=50)
    result = playbook_start(
        actor=org.manager,
        playbook=playbook,
        customer_ids=[c.pk for c in customers],
        rng=random.Random(3),
    )
    assert len(result.started) == 40
    held = PlaybookRun.objects.filter(held_out=True)
    assert 10 <= held.count() <= 30
    assert not RunStep.objects.filter(run__held_out=True).exists()
    assert RunStep.objects.filter(run__held_out=False).count() == 2 * (40 - held.count())


def test_no_hold_out_when_the_share_is_zero(org, rng):
    customers = [make_customer(org.sales, name=f"客户{i}") for i in range(20)]
    playbook = make_playbook(org.manager, holdout_percent=0)
    playbook_start(
        actor=org.manager, playbook=playbook, customer_ids=[c.pk for c in customers], rng=rng
    )
    assert not PlaybookRun.objects.filter(held_out=True).exists()


def test_a_hold_out_over_half_is_refused(org):
    with pytest.raises(ValidationError):
        make_playbook(org.manager, holdout_percent=60)


def test_a_step_whose_template_was_deleted_stops_the_start_with_a_message(org, rng):
    template = MessageTemplate.objects.create(name="关怀短信", channel="sms", body="您好")
    customer = make_customer(org.sales)
    playbook = make_playbook(
        org.manager, steps=[{"kind": StepKind.MESSAGE, "template_id": template.pk}]
    )
    MessageTemplate.objects.filter(pk=template.pk).update(deleted_at=timezone.now())
    with pytest.raises(ValidationError, match="消息模板已删除"):
        playbook_start(actor=org.manager, playbook=playbook, customer_ids=[customer.pk], rng=rng)
    assert not PlaybookRun.objects.exists() and not Task.objects.exists()


def test_customers_the_manager_may_not_change_are_refused_as_not_found(org, rng):
    mine = make_customer(org.sales)
    west = make_customer(org.west_sales, name="西区")
    playbook = make_playbook(org.manager)
    result = playbook_start(
        actor=org.manager, playbook=playbook, customer_ids=[mine.pk, west.pk], rng=rng
    )
    assert result.started == [mine.pk] and result.refused == {west.pk: Refusal.NOT_FOUND}


@pytest.mark.parametrize("role", ["sales", "service", "analyst"])
def test_roles_that_may_not_start_are_refused(org, role, rng):
    customer = make_customer(org.sales)
    playbook = make_playbook(org.manager)
    with pytest.raises(PermissionDenied):
        playbook_start(
            actor=getattr(org, role), playbook=playbook, customer_ids=[customer.pk], rng=rng
        )
    assert not PlaybookRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_playbooks_racing_for_one_customer_start_one_run(org):
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("a real race needs PostgreSQL's concurrent writers")
    customer = make_customer(org.sales)
    playbooks = [make_playbook(org.manager, name=f"方案{i}") for i in range(4)]
    barrier = threading.Barrier(len(playbooks))
    started: list[int] = []

    def start(playbook):
        try:
            barrier.wait()
            result = playbook_start(actor=org.admin, playbook=playbook, customer_ids=[customer.pk])
            started.extend(result.started)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=start, args=(p,)) for p in playbooks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert started == [customer.pk]
    run = PlaybookRun.objects.get(customer=customer)
    assert Task.objects.filter(customer=customer).count() == 2
    assert set(RunStep.objects.values_list("run_id", flat=True)) == {run.pk}
