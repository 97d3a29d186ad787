"""The report: save rate, money kept, cost, by playbook / owner / team / stage /
churn reason, in a bounded number of queries."""

from __future__ import annotations

from decimal import Decimal

from kehu.followups.models import TaskStatus
from kehu.followups.services import task_finish
from kehu.retention.models import PlaybookRun, RunStep
from kehu.retention.report import playbook_report
from kehu.retention.services import playbook_start, run_stop, steps_sync
from tests.factories import make_customer
from tests.retention.conftest import buy, make_playbook, score


def _world(org, rng):
    a, b, c = (make_customer(org.sales, name=n) for n in ("甲", "乙", "丙"))
    w = make_customer(org.west_sales, name="西")
    score([a, b, c, w], clv="400.00")
    playbook = make_playbook(org.manager, cost_per_run=Decimal("5"))
    playbook_start(actor=org.manager, playbook=playbook, customer_ids=[a.pk, b.pk, c.pk], rng=rng)
    playbook_start(actor=org.admin, playbook=playbook, customer_ids=[w.pk], rng=rng)
    call = RunStep.objects.filter(run__customer=a, order=1).get()
    task_finish(actor=org.sales, task=call.task, status=TaskStatus.DONE, result="已沟通")
    steps_sync()
    buy(org.sales, a, "300.00")
    run_stop(actor=org.manager, run=PlaybookRun.objects.get(customer=c), reason="客户要求")
    PlaybookRun.objects.filter(customer=b).update(outcome="lost")
    return playbook


def test_save_rate_money_kept_and_cost(org, rng):
    playbook = _world(org, rng)
    report = playbook_report()
    (row,) = report.rows
    assert row.label == playbook.name
    assert (row.runs, row.saved, row.lost, row.stopped, row.open) == (4, 1, 1, 1, 1)
    assert row.save_rate == 0.5
    assert row.value_before == Decimal("400.00") and row.money_kept == Decimal("400.00")
    # A done call (10) and the extra cost of four runs (4 × 5).
    assert row.cost == Decimal("30") and row.cost_per_saved == Decimal("30.00")
    assert not row.uplift.enough


def test_by_team_and_by_owner(org, rng):
    _world(org, rng)
    by_team = {row.label: row.runs for row in playbook_report(by="team").rows}
    assert by_team == {"华东": 3, "华西": 1}
    by_owner = {row.label: row.saved for row in playbook_report(by="owner").rows}
    assert by_owner[org.sales.label] == 1
    reasons = playbook_report(by="reason").rows
    assert [row.label for row in reasons] == ["购买节奏中断"]


def test_the_report_takes_a_fixed_number_of_queries(org, rng, django_assert_max_num_queries):
    _world(org, rng)
    with django_assert_max_num_queries(4):
        playbook_report(by="stage")
