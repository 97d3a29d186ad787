"""The value API: shapes, 404 before any run, access per refused role."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kehu.value.models import RunStatus
from kehu.value.services import score_run
from tests.api.conftest import api_client_for
from tests.value.factories import customers, order, population


def test_everything_is_404_before_a_run(org):
    (a,) = customers(1, org.sales)
    api = api_client_for(org.admin)
    for path in (
        "/api/v1/analytics/pareto",
        "/api/v1/analytics/at-risk",
        "/api/v1/analytics/model",
    ):
        response = api.get(path)
        assert response.status_code == 404 and response.json()["code"] == "no_score", path
    assert api.get(f"/api/v1/customers/{a.pk}/value").json()["code"] == "no_score"


def test_shapes_after_a_run(org):
    people = population(org.sales)
    (west,) = customers(1, org.west_sales, prefix="西")
    order(west, dt.date(2025, 1, 1))
    run = score_run(as_of=timezone.localdate())
    assert run.status == RunStatus.SUCCEEDED
    api = api_client_for(org.sales)
    body = api.get(f"/api/v1/customers/{people[0].pk}/value").json()
    assert set(body["rfm"]) == {"r", "f", "m", "score", "segment"}
    assert 1 <= body["tier"] <= 5 and body["clv"] is not None
    assert 0 <= body["p_alive"] <= 1 and body["expected_purchases_90d"] >= 0
    assert set(body["risk"]) == {"score", "at_risk", "reasons"}
    for reason in body["risk"]["reasons"]:
        assert reason["text"] and reason["code"]
    assert api.get(f"/api/v1/customers/{west.pk}/value").status_code == 404  # not theirs
    at_risk = api.get("/api/v1/analytics/at-risk", {"page": 1, "page_size": 5}).json()
    assert at_risk["as_of"] == run.as_of.isoformat() and len(at_risk["items"]) <= 5
    assert all(item["customer_id"] != west.pk for item in at_risk["items"])
    stakes = [float(item["money_at_stake"]) for item in at_risk["items"]]
    assert stakes == sorted(stakes, reverse=True)
    assert (
        api.get("/api/v1/analytics/at-risk", {"page": 100000}).json()["code"] == "page_out_of_range"
    )
    admin = api_client_for(org.admin)
    model = admin.get("/api/v1/analytics/model").json()
    assert model["time_unit"] == "day" and set(model["bgnbd"]) == {"r", "alpha", "a", "b"}
    assert set(model["gamma_gamma"]) == {"p", "q", "v"}
    assert set(model["mbgnbd"]) == {"r", "alpha", "a", "b"}
    test = model["backtest"]
    assert model["model"] == test["best"] and model["chosen_by"] == "backtest"
    assert set(test["scores"]) == {"bgnbd", "mbgnbd"} and test["holdout_days"] > 0
    assert model["customers"] == run.customers and model["repeat_customers"] == run.repeat_customers
    pareto = admin.get("/api/v1/analytics/pareto").json()
    assert len(pareto["customer_share"]) == len(pareto["revenue_share"]) == 101
    assert [s["segment"] for s in pareto["split"]] == ["top", "middle", "drain"]


def test_refused_roles(org):
    (a,) = customers(1, org.sales)
    order(a, dt.date(2025, 1, 1))
    score_run(as_of=timezone.localdate())
    for user in (org.sales, org.service):
        api = api_client_for(user)
        assert api.get("/api/v1/analytics/pareto").status_code == 403
        assert api.get("/api/v1/analytics/model").status_code == 403
    assert api_client_for(org.service).get("/api/v1/analytics/at-risk").status_code == 403
    assert api_client_for(org.west_sales).get(f"/api/v1/customers/{a.pk}/value").status_code == 404
    assert api_client_for(org.analyst).get(f"/api/v1/customers/{a.pk}/value").status_code == 200
    assert api_client_for(org.analyst).get("/api/v1/analytics/model").status_code == 200


def test_openapi_lists_the_value_endpoints(org):
    spec = api_client_for(org.admin).get("/api/v1/openapi.json").json()
    for path in (
        "/api/v1/customers/{customer_id}/value",
        "/api/v1/analytics/pareto",
        "/api/v1/analytics/at-risk",
        "/api/v1/analytics/model",
    ):
        assert path in spec["paths"], path


def test_merge_moves_snapshots_to_the_survivor(org):
    from kehu.customers.merge import relations

    assert any(r.key == "value.customervalue.customer" for r in relations())
