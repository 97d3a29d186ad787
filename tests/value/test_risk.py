"""The pure risk module: signals, reasons with numbers, worth saving."""

from __future__ import annotations

import numpy as np

from kehu.value.risk import RiskInputs, churn_risk, reasons_all, worth_saving


def _inputs(**extra):
    base = {
        "days_since_purchase": np.array([10, 94, 30, 30, 30]),
        "usual_gap": np.array([30.0, 31.0, np.nan, 30.0, 30.0]),
    }
    return RiskInputs(**{**base, **extra})


def test_a_regular_buyer_is_calm_and_a_broken_rhythm_is_explained():
    inputs = _inputs()
    risk = churn_risk(inputs)
    reasons = reasons_all(inputs, risk)
    assert risk.score[0] == 0 and reasons[0] == []
    assert reasons[1] == [("rhythm_break", {"cycles": 3, "days": 94, "gap": 31})]
    assert np.all((risk.score >= 0) & (risk.score <= 1))


def test_every_signal_gives_its_reason_strongest_first():
    n = 5
    inputs = _inputs(
        p_alive=np.array([0.9, 0.18, 0.9, 0.9, 0.9]),
        complaints_30d=np.array([0, 0, 2, 0, 0]),
        csat_latest=np.array([np.nan, np.nan, np.nan, 2, 3]),
        csat_previous=np.array([np.nan, np.nan, np.nan, 5, 5]),
        value_recent=np.array([np.nan, np.nan, 50.0, np.nan, np.nan]),
        value_earlier=np.array([np.nan, np.nan, 200.0, np.nan, np.nan]),
        days_since_contact=np.array([5, 5, 200, 5, 5.0]),
        usual_contact_gap=np.array([30, 30, 20, 30, 30.0]),
    )
    risk = churn_risk(inputs)
    reasons = reasons_all(inputs, risk)
    assert reasons[1][0] == ("p_alive_low", {"p_alive": 0.18})
    codes = [code for code, _params in reasons[2]]
    assert codes == ["complaints", "order_value_falling", "contact_lapsed"]
    assert reasons[2][0][1] == {"count": 2, "days": 30}
    assert reasons[3] == [("csat_low", {"csat": 2})]
    assert reasons[4] == [("csat_falling", {"csat": 3, "previous": 5})]
    assert risk.score[2] > risk.score[4] > risk.score[0]
    assert len(risk.score) == n


def test_worth_saving_compares_clv_times_p_alive_with_the_cost():
    saving = worth_saving(
        clv=np.array([1000.0, 1000.0, np.nan]),
        p_alive=np.array([0.5, 0.01, 0.5]),
        revenue_12m=np.zeros(3),
        retention_cost=50.0,
    )
    assert saving.money_at_stake.tolist() == [500.0, 10.0, 0.0]
    assert saving.worth.tolist() == [True, False, False]
    rfm_only = worth_saving(
        clv=None, p_alive=None, revenue_12m=np.array([80.0, 20.0]), retention_cost=50
    )
    assert rfm_only.worth.tolist() == [True, False]
