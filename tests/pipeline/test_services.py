"""The pipeline's services: phases and their history, won records the order, lost
needs a reason, optimistic locking, stale flagging once per quiet period."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kehu.core.errors import ConflictError
from kehu.followups.models import Task
from kehu.interactions.services import interaction_log
from kehu.orders.models import Order
from kehu.pipeline.models import LossReason, Opportunity, PhaseChange, Status
from kehu.pipeline.services import (
    ClosedError,
    opportunity_create,
    opportunity_delete,
    opportunity_lose,
    opportunity_move,
    opportunity_update,
    opportunity_win,
)
from kehu.pipeline.stale import opportunities_flag_stale
from tests.pipeline.conftest import make_opportunity

pytestmark = pytest.mark.django_db


def test_the_four_phases_of_seed_004_are_shipped(phases):
    assert [p.name for p in sorted(phases.values(), key=lambda p: p.position)] == [
        "兴趣需求收集",
        "方案设计",
        "营销",
        "跟踪",
    ]
    assert [p.probability for p in sorted(phases.values(), key=lambda p: p.position)] == [
        10,
        30,
        60,
        80,
    ]
    assert LossReason.objects.filter(is_active=True).count() >= 5


def test_create_starts_in_the_first_phase_with_its_probability(org, book, tea, phases):
    deal = make_opportunity(org.sales, book["own"], lines=[], amount=Decimal("1000"))
    assert deal.phase == phases["interest"] and deal.status == Status.OPEN
    assert deal.owner == org.sales and deal.team == org.east
    assert deal.effective_probability == 10 and deal.weighted_amount == Decimal("100.00")
    [change] = deal.phase_changes.all()
    assert change.to_phase == phases["interest"] and change.from_phase is None


def test_create_takes_the_lines_total_as_amount(org, book, tea):
    from kehu.pipeline.services import LineInput

    deal = make_opportunity(
        org.sales, book["own"], lines=[LineInput(tea.pk, Decimal(2), Decimal("90"))]
    )
    assert deal.amount == Decimal("180.00")
    assert deal.lines.get().product == tea


def test_create_refuses_a_customer_the_actor_may_not_change(org, book):
    with pytest.raises(PermissionDenied):
        opportunity_create(actor=org.sales, customer=book["other"], name="抢单")
    with pytest.raises(PermissionDenied):
        opportunity_create(actor=org.analyst, customer=book["own"], name="看看")
    assert not Opportunity.objects.exists()


def test_create_checks_its_fields(org, book):
    with pytest.raises(ValidationError) as error:
        opportunity_create(
            actor=org.sales, customer=book["own"], name=" ", amount=Decimal(-1), probability=101
        )
    assert set(error.value.message_dict) == {"name", "amount", "probability"}


def test_a_move_keeps_history_with_the_time_in_the_phase(org, deals, phases):
    deal = deals["own"]
    Opportunity.objects.filter(pk=deal.pk).update(
        phase_entered_at=timezone.now() - dt.timedelta(days=3), probability=55
    )
    deal.refresh_from_db()
    moved = opportunity_move(actor=org.sales, opportunity=deal, phase=phases["selling"])
    moved.refresh_from_db()
    assert moved.phase == phases["selling"] and moved.version == deal.version + 1
    assert moved.probability is None and moved.effective_probability == 60
    change = PhaseChange.objects.filter(opportunity=deal).latest("id")
    assert change.from_phase == phases["interest"] and change.to_phase == phases["selling"]
    assert change.actor == org.sales
    assert dt.timedelta(days=3) <= change.time_in_phase < dt.timedelta(days=3, minutes=1)


def test_a_move_to_the_same_phase_changes_nothing(org, deals, phases):
    before = PhaseChange.objects.count()
    opportunity_move(actor=org.sales, opportunity=deals["own"], phase=phases["interest"])
    assert PhaseChange.objects.count() == before


def test_a_move_by_someone_who_may_not_change_it_is_refused(org, deals, phases):
    for user in (org.east_sales2, org.west_manager, org.analyst, org.service):
        with pytest.raises(PermissionDenied):
            opportunity_move(actor=user, opportunity=deals["own"], phase=phases["selling"])
    deals["own"].refresh_from_db()
    assert deals["own"].phase == phases["interest"]


def test_won_records_the_order_with_the_products(org, book, deals, tea):
    won = opportunity_win(actor=org.sales, opportunity=deals["own"])
    assert won.status == Status.WON and won.closed_at is not None
    order = Order.objects.get(pk=won.order_id)
    assert order.customer == book["own"] and order.total == Decimal("300.00")
    assert [(line.product_id, line.quantity) for line in order.lines.all()] == [
        (tea.pk, Decimal("3.000"))
    ]
    assert won.effective_probability == 100
    assert won.phase_changes.latest("id").to_status == Status.WON


def test_won_without_products_records_the_amount(org, deals):
    won = opportunity_win(actor=org.east_sales2, opportunity=deals["other"])
    assert won.order.total == Decimal("500.00") and not won.order.lines.exists()


def test_won_without_products_or_amount_is_refused_and_nothing_changes(org, book):
    deal = make_opportunity(org.sales, book["own"])
    with pytest.raises(ValidationError) as error:
        opportunity_win(actor=org.sales, opportunity=deal)
    assert "赢单需要产品或金额" in str(error.value)
    deal.refresh_from_db()
    assert deal.status == Status.OPEN and not Order.objects.exists()


def test_a_closed_opportunity_does_not_move(org, deals, phases):
    opportunity_win(actor=org.sales, opportunity=deals["own"])
    with pytest.raises(ClosedError):
        opportunity_move(actor=org.sales, opportunity=deals["own"], phase=phases["selling"])
    with pytest.raises(ClosedError):
        opportunity_win(actor=org.sales, opportunity=deals["own"])
    assert Order.objects.count() == 1


def test_lost_needs_a_reason(org, deals):
    with pytest.raises(ValidationError):
        opportunity_lose(actor=org.sales, opportunity=deals["own"], reason=None)
    deals["own"].refresh_from_db()
    assert deals["own"].status == Status.OPEN
    reason = LossReason.objects.first()
    lost = opportunity_lose(actor=org.sales, opportunity=deals["own"], reason=reason, note="太贵")
    assert lost.status == Status.LOST and lost.loss_reason == reason and lost.loss_note == "太贵"
    assert lost.effective_probability == 0


def test_a_stale_version_is_refused_and_nothing_is_overwritten(org, deals):
    deal = deals["own"]
    seen = deal.version
    opportunity_update(actor=org.sales, opportunity=deal, version=seen, data={"next_step": "报价"})
    with pytest.raises(ConflictError) as conflict:
        opportunity_update(
            actor=org.manager, opportunity=deal, version=seen, data={"next_step": "拜访"}
        )
    assert conflict.value.details == {"current_version": seen + 1}
    deal.refresh_from_db()
    assert deal.next_step == "报价"


def test_delete_is_soft(org, deals):
    opportunity_delete(actor=org.sales, opportunity=deals["own"], version=deals["own"].version)
    deleted = Opportunity.objects.get(pk=deals["own"].pk)
    assert deleted.deleted_at is not None and deleted.deleted_by == org.sales


def _age(deal, days):
    Opportunity.objects.filter(pk=deal.pk).update(
        last_activity_at=timezone.now() - dt.timedelta(days=days)
    )


def test_stale_opportunities_get_one_task_for_their_owner(org, deals):
    _age(deals["own"], 20)
    _age(deals["other"], 5)
    report = opportunities_flag_stale(days=14)
    assert (report.flagged, report.tasks) == (1, 1)
    task = Task.objects.get()
    assert task.assignee == org.sales and task.customer_id == deals["own"].customer_id
    assert "商机停滞" in task.title_text
    # Run again (a second worker, a re-run): nothing doubles.
    assert opportunities_flag_stale(days=14).flagged == 0
    assert Task.objects.count() == 1


def test_activity_clears_the_flag_and_a_new_quiet_period_flags_again(org, book, deals):
    _age(deals["own"], 20)
    opportunities_flag_stale(days=14)
    interaction_log(actor=org.sales, customer=book["own"], data={"kind": "call", "notes": "聊了"})
    deals["own"].refresh_from_db()
    assert not deals["own"].is_stale(days=14)
    assert opportunities_flag_stale(days=14).flagged == 0
    _age(deals["own"], 30)
    assert opportunities_flag_stale(days=14).flagged == 1
    assert Task.objects.count() == 2


def test_a_merge_moves_the_opportunities_to_the_survivor(org, book, deals):
    from kehu.customers.merge import customer_merge

    customer_merge(actor=org.admin, survivor_id=book["own"].pk, other_id=book["other"].pk)
    assert Opportunity.objects.get(pk=deals["other"].pk).customer_id == book["own"].pk


def test_changing_the_lines_keeps_a_given_amount_and_fills_a_missing_one(org, book, tea):
    from kehu.pipeline.services import LineInput

    deal = make_opportunity(org.sales, book["own"], amount=Decimal("999"))
    lines = [LineInput(tea.pk, Decimal(2))]
    deal = opportunity_update(
        actor=org.sales, opportunity=deal, version=deal.version, data={}, lines=lines
    )
    assert deal.amount == Decimal("999") and deal.lines.count() == 1
    deal = opportunity_update(
        actor=org.sales, opportunity=deal, version=deal.version, data={"amount": None}, lines=lines
    )
    assert deal.amount == Decimal("200.00")


def test_a_transferred_customer_takes_its_open_opportunities_along(org, book, deals):
    from kehu.customers.ownership import customer_transfer

    closed = make_opportunity(org.sales, book["own"], amount=Decimal("10"))
    opportunity_lose(actor=org.sales, opportunity=closed, reason=LossReason.objects.first())
    customer_transfer(
        actor=org.admin, customer_ids=[book["own"].pk], to_user=org.west_sales, reason="调岗"
    )
    moved = Opportunity.objects.get(pk=deals["own"].pk)
    assert moved.owner == org.west_sales and moved.team == org.west
    assert Opportunity.objects.get(pk=closed.pk).owner == org.sales  # history stays


def test_the_demo_fills_the_board(org, book, tea):
    from kehu.pipeline.demo import demo_pipeline

    made = demo_pipeline(seed=1)
    assert made["opportunities"] == Opportunity.objects.count() >= 3
    assert not Order.objects.exists()  # nothing won: the demo's orders stay its own
    for deal in Opportunity.objects.select_related("customer"):
        assert deal.owner_id == deal.customer.owner_id
