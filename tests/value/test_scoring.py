"""The scoring run end to end, as-of back-testing, and every kind of bad input."""

from __future__ import annotations

import datetime as dt
import io
import math
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from kehu.complaints.models import Complaint
from kehu.value.models import CustomerValue, RunStatus, ScoreRun
from kehu.value.selectors import run_latest_good
from kehu.value.services import score_run
from tests.value.factories import TODAY, customers, order, population


def _finite(run: ScoreRun) -> None:
    for row in CustomerValue.objects.filter(run=run):
        for name in ("p_alive", "expected_purchases_90d", "risk"):
            value = getattr(row, name)
            assert value is None or math.isfinite(value), (name, value)
        assert 0 <= row.risk <= 1
        assert 1 <= row.tier <= 5


def test_full_run_fits_the_model_and_writes_every_buyer(org):
    people = population(org.sales)
    quiet = customers(2, org.sales, prefix="无订单")
    refunded = people[0]
    order(
        refunded,
        TODAY - dt.timedelta(days=3),
        "200.00",
        status="partially_refunded",
        refunded="50.00",
    )
    unknown_cost = people[1]
    order(unknown_cost, TODAY - dt.timedelta(days=5), "80.00", cost=None)
    run = score_run(as_of=TODAY)
    assert run.status == RunStatus.SUCCEEDED, (run.message_code, run.detail, run.repeat_customers)
    assert run.params["time_unit"] == "day"
    assert set(run.params["bgnbd"]) == {"r", "alpha", "a", "b"}
    assert run.repeat_customers >= 200
    assert CustomerValue.objects.filter(run=run).count() == run.customers == len(people)
    assert not CustomerValue.objects.filter(run=run, customer__in=quiet).exists()
    row = CustomerValue.objects.get(run=run, customer=unknown_cost)
    assert row.profit is None and row.clv is not None and row.p_alive is not None
    _finite(run)
    s = run.summary
    assert sum(t["customers"] for t in s["tiers"]) == len(people)
    assert sum(x["customers"] for x in s["split"]) == len(people)
    assert s["pareto"]["x"][0] == 0 and s["pareto"]["x"][-1] == 1
    assert s["clv"]["counts"] and sum(s["clv"]["counts"]) == len(people)
    assert run_latest_good() == run


def test_net_revenue_and_zero_value_orders(org):
    a, b = customers(2, org.sales)
    order(a, TODAY - dt.timedelta(days=40), "200.00", status="partially_refunded", refunded="50.00")
    order(a, TODAY - dt.timedelta(days=10), "0.00", cost="0.00")  # a free sample
    order(a, TODAY - dt.timedelta(days=9), "99.00", status="cancelled")
    order(b, TODAY - dt.timedelta(days=20), "30.00", status="refunded", refunded="30.00")
    run = score_run(as_of=TODAY)
    assert run.status == RunStatus.INSUFFICIENT
    assert run.message_code == "insufficient_data"
    row = CustomerValue.objects.get(run=run, customer=a)
    assert row.orders == 2 and row.revenue == Decimal("150.00")
    assert row.recency_days == 10
    assert row.clv is None and row.p_alive is None
    assert not CustomerValue.objects.filter(run=run, customer=b).exists()


def test_as_of_ignores_later_orders_and_counts_them(org):
    (a,) = customers(1, org.sales)
    order(a, dt.date(2026, 1, 10), "100.00")
    order(a, dt.date(2026, 3, 1), "300.00")
    # 23:30 local on the as-of day is still that day; 00:30 the next day is not.
    order(a, dt.date(2026, 2, 1), "10.00", hour=23)
    order(a, dt.date(2026, 2, 2), "20.00", hour=0)
    run = score_run(as_of=dt.date(2026, 2, 1))
    assert run.future_orders_ignored == 2
    row = CustomerValue.objects.get(run=run)
    assert row.orders == 2 and row.revenue == Decimal("110.00")


def test_no_orders_fails_clearly_and_keeps_the_previous_snapshot(org):
    (a,) = customers(1, org.sales)
    order(a, TODAY - dt.timedelta(days=5))
    first = score_run(as_of=TODAY - dt.timedelta(days=1))
    assert first.status == RunStatus.INSUFFICIENT and first.customers == 1
    a.orders.all().delete()
    empty = score_run(as_of=TODAY)
    assert empty.status == RunStatus.FAILED and empty.message_code == "no_data"
    assert not CustomerValue.objects.filter(run=empty).exists()
    assert run_latest_good() == first


def test_all_one_order_is_rfm_only_and_never_nan(org):
    people = customers(250, org.sales)
    for index, person in enumerate(people):
        order(person, TODAY - dt.timedelta(days=index + 1), f"{10 + index}.00")
    run = score_run(as_of=TODAY)
    assert run.status == RunStatus.INSUFFICIENT and run.repeat_customers == 0
    assert CustomerValue.objects.filter(run=run).count() == 250
    assert not CustomerValue.objects.filter(run=run, clv__isnull=False).exists()
    assert run.summary["clv"] is None
    _finite(run)


def test_failed_fit_keeps_the_latest_successful_run(org):
    population(org.sales)
    good = score_run(as_of=TODAY)
    assert good.status == RunStatus.SUCCEEDED
    from kehu.orders.models import Order

    Order.objects.all().delete()
    (a,) = customers(1, org.sales, prefix="新")
    order(a, TODAY)
    later = score_run(as_of=TODAY)
    assert later.status == RunStatus.INSUFFICIENT
    assert run_latest_good() == good  # a same-day failure does not replace the success
    assert ScoreRun.objects.filter(pk=good.pk).exists()


def test_same_day_rerun_replaces_and_history_is_pruned(org):
    (a,) = customers(1, org.sales)
    order(a, dt.date(2025, 1, 2))
    for day in (
        dt.date(2025, 3, 1),
        dt.date(2025, 3, 20),
        dt.date(2025, 4, 5),
        TODAY - dt.timedelta(days=3),
    ):
        score_run(as_of=day)
    score_run(as_of=TODAY)
    again = score_run(as_of=TODAY)
    dates = sorted(ScoreRun.objects.values_list("as_of", flat=True))
    # March keeps its last run only; runs of the last 14 days all stay; today once.
    assert dates == [dt.date(2025, 3, 20), dt.date(2025, 4, 5), TODAY - dt.timedelta(days=3), TODAY]
    assert CustomerValue.objects.filter(run__as_of=TODAY).get().run == again


def test_risk_reasons_from_complaints_and_rhythm(org):
    (a,) = customers(1, org.sales)
    for days in (200, 180, 160, 140):
        order(a, TODAY - dt.timedelta(days=days))
    for _ in range(2):
        Complaint.objects.create(
            customer=a,
            channel="phone",
            category="quality",
            severity="medium",
            description="坏了",
            received_at=TODAY_AT(-3),
            response_due_at=TODAY_AT(1),
            resolution_due_at=TODAY_AT(5),
        )
    run = score_run(as_of=TODAY)
    row = CustomerValue.objects.get(run=run)
    codes = [r["code"] for r in row.reasons]
    assert "complaints" in codes and "rhythm_break" in codes
    rhythm = next(r for r in row.reasons if r["code"] == "rhythm_break")
    assert rhythm["params"]["days"] == 140 and rhythm["params"]["gap"] == 20
    assert row.at_risk and row.risk > 0.9


def TODAY_AT(days: int) -> dt.datetime:
    from tests.value.factories import at

    return at(TODAY + dt.timedelta(days=days))


def test_command_reports_each_outcome(org):
    out = io.StringIO()
    with pytest.raises(CommandError, match="no_data"):
        call_command("score", "--as-of", "2026-01-01", "--no-progress", stdout=out)
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("score", "--as-of", "01/02/2026", stdout=out)
    with pytest.raises(CommandError, match="future"):
        call_command("score", "--as-of", "2999-01-01", stdout=out)
    (a,) = customers(1, org.sales)
    order(a, dt.date(2025, 12, 1))
    order(a, dt.date(2026, 1, 5))
    call_command("score", "--as-of", "2026-01-01", "--no-progress", stdout=out)
    text = out.getvalue()
    assert "scored RFM only (insufficient_data)" in text
    assert "1 orders dated after 2026-01-01 ignored" in text
    population(org.sales)
    out = io.StringIO()
    call_command("score", "--no-progress", stdout=out, stderr=io.StringIO())
    assert "BG/NBD (per day)" in out.getvalue()


def test_every_warning_says_why(org):
    population(org.sales)
    run = score_run(as_of=TODAY)
    assert run.status == RunStatus.SUCCEEDED
    warned = list(CustomerValue.objects.filter(run=run, at_risk=True))
    assert warned
    assert all(row.reasons for row in warned), [r.customer_id for r in warned if not r.reasons]


def test_both_purchase_models_are_fitted_and_the_back_test_picks_one(org):
    """MBG/NBD beside BG/NBD (issue 18): the back-test on the history decides which one
    scores; a one-time buyer of long ago is not certainly alive under MBG/NBD."""
    population(org.sales)
    (once,) = customers(1, org.sales, prefix="一次")
    order(once, TODAY - dt.timedelta(days=600), "387.00")
    run = score_run(as_of=TODAY)
    assert run.status == RunStatus.SUCCEEDED
    params = run.params
    assert set(params["bgnbd"]) == set(params["mbgnbd"]) == {"r", "alpha", "a", "b"}
    test = params["backtest"]
    assert test["code"] == "ok" and test["holdout_days"] > 0 and test["customers"] > 200
    rmse = {name: test["scores"][name]["rmse"] for name in ("bgnbd", "mbgnbd")}
    assert params["model"] == min(rmse, key=lambda name: rmse[name])
    assert params["chosen_by"] == "backtest"
    row = CustomerValue.objects.get(run=run, customer=once)
    assert params["model"] == "mbgnbd"  # this population drops out at any purchase
    assert row.p_alive < 0.5
