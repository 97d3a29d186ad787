"""Outcomes from the data: a paid order in the window saves, a churned stage or the
window's end loses, a rule back to 发展 saves, a stop by hand needs a reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kehu.core.errors import ConflictError
from kehu.core.events import CustomerEvents
from kehu.followups.models import Task, TaskStatus
from kehu.retention.models import EndReason, Outcome, PlaybookRun
from kehu.retention.outcomes import runs_close_expired
from kehu.retention.services import playbook_start, run_stop
from kehu.retention.tasks import retention_pass
from kehu.retention.triggers import stage_entered
from tests.factories import make_customer
from tests.retention.conftest import buy, make_playbook, stage


def _started(org, rng, **playbook):
    customer = make_customer(org.sales)
    pb = make_playbook(org.manager, **playbook)
    playbook_start(actor=org.manager, playbook=pb, customer_ids=[customer.pk], rng=rng)
    return customer, PlaybookRun.objects.get(customer=customer)


def _entered(customer, key: str, how: str = "rule", came_from: str | None = "retain") -> None:
    target = stage(key)
    stage_entered(
        CustomerEvents(
            "stage_entered",
            (customer.pk,),
            None,
            {
                "model_id": target.model_id,
                "stage_id": target.pk,
                "stage_kind": target.kind,
                "how": how,
                "from_stage_ids": {customer.pk: stage(came_from).pk if came_from else None},
                "change_ids": {},
            },
        )
    )


def test_a_paid_order_in_the_window_saves_the_run_and_closes_its_tasks(org, rng):
    customer, run = _started(org, rng)
    buy(org.sales, customer, "260.00")
    run.refresh_from_db()
    assert run.outcome == Outcome.SAVED and run.end_reason == EndReason.ORDER
    assert run.ended_at is not None and run.value_after == 260
    assert not Task.objects.filter(customer=customer, status=TaskStatus.OPEN).exists()


def test_an_order_from_before_the_start_does_not_save(org, rng):
    customer = make_customer(org.sales)
    buy(org.sales, customer, "50.00", days_ago=10)
    pb = make_playbook(org.manager)
    playbook_start(actor=org.manager, playbook=pb, customer_ids=[customer.pk], rng=rng)
    buy(org.sales, customer, "50.00", days_ago=5)  # entered late, dated before the start
    assert PlaybookRun.objects.get(customer=customer).outcome == Outcome.OPEN


def test_entering_a_churned_stage_loses_the_run(org, rng):
    customer, run = _started(org, rng)
    _entered(customer, "exit")
    run.refresh_from_db()
    assert run.outcome == Outcome.LOST and run.end_reason == EndReason.CHURNED


def test_a_rule_back_to_develop_saves_but_a_manual_move_or_a_step_forward_does_not(org, rng):
    customer, run = _started(org, rng)
    _entered(customer, "develop", how="manual")
    _entered(customer, "develop", how="rule", came_from="acquire")
    run.refresh_from_db()
    assert run.outcome == Outcome.OPEN
    _entered(customer, "develop", how="rule")
    run.refresh_from_db()
    assert run.outcome == Outcome.SAVED and run.end_reason == EndReason.STAGE_BACK


def test_the_window_passing_loses_the_run_and_a_rerun_changes_nothing(org, rng):
    _customer, run = _started(org, rng, window_days=30)
    later = timezone.now() + dt.timedelta(days=31)
    assert runs_close_expired(now=later) == {"saved": 0, "lost": 1}
    run.refresh_from_db()
    assert run.outcome == Outcome.LOST and run.end_reason == EndReason.WINDOW
    assert runs_close_expired(now=later) == {"saved": 0, "lost": 0}


def test_the_nightly_pass_closes_windows(org, rng):
    _customer, _run = _started(org, rng, window_days=1)
    result = retention_pass(now=timezone.now() + dt.timedelta(days=2))
    assert result["lost"] == 1


def test_a_held_out_run_ends_the_same_way(org, rng):
    customer, run = _started(org, rng, holdout_percent=50)
    PlaybookRun.objects.filter(pk=run.pk).update(held_out=True)
    buy(org.sales, customer)
    run.refresh_from_db()
    assert run.outcome == Outcome.SAVED


def test_a_stop_by_hand_needs_a_reason_and_happens_once(org, rng):
    _customer, run = _started(org, rng)
    with pytest.raises(ValidationError):
        run_stop(actor=org.manager, run=run, reason=" ")
    run_stop(actor=org.manager, run=run, reason="客户已转给经销商")
    run.refresh_from_db()
    assert run.outcome == Outcome.STOPPED and run.stop_note == "客户已转给经销商"
    assert run.ended_by == org.manager
    with pytest.raises(ConflictError):
        run_stop(actor=org.manager, run=run, reason="再停一次")


@pytest.mark.parametrize("role", ["sales", "service", "analyst", "west_manager"])
def test_roles_that_may_not_stop_a_run_are_refused(org, rng, role):
    _customer, run = _started(org, rng)
    with pytest.raises(PermissionDenied):
        run_stop(actor=getattr(org, role), run=run, reason="不需要了")
    run.refresh_from_db()
    assert run.outcome == Outcome.OPEN
