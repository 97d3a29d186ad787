"""The lifecycle analytics page, the daily summaries and the stats endpoint."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kehu.customers.models import Customer, Tag
from kehu.lifecycle.analytics_jobs import analytics_refresh
from kehu.lifecycle.analytics_models import StageFlowDaily, StatsSnapshot
from kehu.lifecycle.models import CustomerStage, LifecycleModel, Stage, StageChange
from tests.api.conftest import api_client_for
from tests.conftest import Org
from tests.factories import make_customer

pytestmark = pytest.mark.django_db
URL = "/lifecycle/analytics/"


def _stages() -> tuple[LifecycleModel, list[Stage]]:
    model = LifecycleModel.objects.get(key="six_phase")
    return model, list(model.stages.order_by("position"))


def _move(
    customer: Customer, model: LifecycleModel, path: list[Stage], days_ago: list[int]
) -> None:
    now = timezone.now()
    before = None
    change = None
    for stage, ago in zip(path, days_ago, strict=True):
        change = StageChange.objects.create(
            customer=customer,
            model=model,
            from_stage=before,
            to_stage=stage,
            at=now - dt.timedelta(days=ago),
            kind="initial" if before is None else "rule",
        )
        before = stage
    assert change is not None
    CustomerStage.objects.update_or_create(
        customer=customer,
        model=model,
        defaults={"stage": before, "since": change.at, "change": change},
    )


@pytest.fixture
def world(org: Org) -> dict[str, Customer]:
    """mine (east sales): 识别→获取→发展; pool: 识别; west's: 识别→获取."""
    mine = make_customer(org.sales, name="我的客户", source_channel="website")
    pool = make_customer(None, name="公海客户", actor=org.admin)
    west = make_customer(org.west_sales, name="华西客户", source_channel="referral")
    StageChange.objects.all().delete()  # whatever the engine placed on creation
    CustomerStage.objects.all().delete()
    model, s = _stages()
    _move(mine, model, [s[0], s[1], s[2]], [40, 20, 5])
    _move(pool, model, [s[0]], [30])
    _move(west, model, [s[0], s[1]], [50, 10])
    return {"mine": mine, "pool": pool, "west": west}


def _get(client: Client, **params: str) -> str:
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_url_name() -> None:
    assert reverse("lifecycle:analytics") == URL


def test_admin_sees_every_customer_per_stage(client: Client, org: Org, world: dict) -> None:
    client.force_login(org.admin)
    html = _get(client)
    assert 'id="table-distribution"' in html and 'id="chart-flows"' in html
    assert '<th class="text-end">3</th>' in html  # total
    assert 'id="table-cohorts"' not in html  # no orders: the cohort empty state
    assert "暂无留存数据" in html


def test_sales_sees_only_their_own_and_the_pool(client: Client, org: Org, world: dict) -> None:
    client.force_login(org.sales)
    html = _get(client)
    assert '<th class="text-end">2</th>' in html


@pytest.mark.parametrize("role", ["manager", "service", "analyst", "west_sales"])
def test_every_role_that_sees_customers_gets_the_page(
    client: Client, org: Org, world: dict, role: str
) -> None:
    client.force_login(getattr(org, role))
    assert 'id="table-distribution"' in _get(client)


def test_logged_out_is_sent_to_login(client: Client, world: dict) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_an_inactive_user_sees_nothing(client: Client, org: Org, world: dict) -> None:
    client.force_login(org.sales)
    org.sales.is_active = False
    org.sales.save()
    response = client.get(URL)
    assert response.status_code in (302, 404)


def test_filters_narrow_and_htmx_gets_the_partial(client: Client, org: Org, world: dict) -> None:
    client.force_login(org.admin)
    html = _get(client, channel="referral")
    assert '<th class="text-end">1</th>' in html
    response = client.get(URL, {"team": str(org.west.pk)}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert '<th class="text-end">1</th>' in body and "<nav" not in body
    tag = Tag.objects.create(name="重点")
    html = _get(client, tag=str(tag.pk))
    assert 'id="analytics-empty"' in html


def test_bad_filters_explain_and_fall_back_to_defaults(
    client: Client, org: Org, world: dict
) -> None:
    client.force_login(org.admin)
    today = timezone.localdate()
    html = _get(client, start=str(today), end=str(today - dt.timedelta(days=3)))
    assert "开始日期不能晚于结束日期" in html and 'id="table-distribution"' in html
    assert "结束日期不能晚于今天" in _get(client, end=str(today + dt.timedelta(days=1)))
    assert "没有这个生命周期模型" in _get(client, model="nope")
    assert "从：" in _get(client, start="not-a-date")


def test_a_past_date_counts_the_stage_then(client: Client, org: Org, world: dict) -> None:
    client.force_login(org.sales)
    day = timezone.localdate() - dt.timedelta(days=35)
    html = _get(client, start=str(day - dt.timedelta(days=10)), end=str(day))
    # 35 days ago only "mine" had been placed (40 days ago); the pool customer came later.
    assert '<th class="text-end">1</th>' in html


def test_summaries_give_the_same_figures_and_are_idempotent(
    client: Client, org: Org, world: dict
) -> None:
    client.force_login(org.admin)
    live = _get(client)
    analytics_refresh()
    rows = StageFlowDaily.objects.count()
    analytics_refresh()
    assert StageFlowDaily.objects.count() == rows > 0
    assert StatsSnapshot.objects.count() == LifecycleModel.objects.count()
    summarised = _get(client)
    assert "数据更新于" in summarised

    def table(html: str, name: str) -> str:
        start = html.index(f'id="table-{name}"')
        return html[start : html.index("</table>", start)]

    # Time in stage differs only by the open spells' "now" (the snapshot's is last night).
    for name in ("distribution", "funnel", "flows"):
        assert table(summarised, name) == table(live, name)


# --- API -------------------------------------------------------------------------------


def test_api_stats(org: Org, world: dict) -> None:
    body = api_client_for(org.admin).get("/api/v1/lifecycle/stats", {"model": "six_phase"}).json()
    assert body["model"] == "six_phase" and body["total"] == 3
    counts = {c["stage"]: c["count"] for c in body["counts"]}
    assert sum(counts.values()) == 3
    assert body["funnel"][0]["reached"] == 3 and body["funnel"][0]["share"] == 100.0
    assert {"from_stage": "identify", "to_stage": "acquire", "count": 2} in body["flows"]
    assert {"from", "to", "flows", "partial"} <= set(body)


def test_api_stats_are_scoped_to_what_the_caller_sees(org: Org, world: dict) -> None:
    body = api_client_for(org.sales).get("/api/v1/lifecycle/stats").json()
    assert body["total"] == 2


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"model": "nope"}, 404, "unknown_model"),
        ({"from": "2026-13-01"}, 422, "invalid"),
        ({"to": "yesterday"}, 422, "invalid"),
        ({"from": "2026-03-01", "to": "2026-02-01"}, 422, "invalid"),
        ({"from": "2000-01-01", "to": "2026-01-01"}, 422, "invalid"),
        ({"to": "2999-01-01"}, 422, "invalid"),
        ({"model": "x" * 41}, 422, "invalid"),
    ],
)
def test_api_stats_bad_input(org: Org, world: dict, params: dict, status: int, code: str) -> None:
    response = api_client_for(org.admin).get("/api/v1/lifecycle/stats", params)
    assert response.status_code == status
    assert response.json()["code"] == code


def test_api_stats_needs_a_login(world: dict) -> None:
    response = Client().get("/api/v1/lifecycle/stats")
    assert response.status_code == 401


def test_a_crowded_scope_gets_counts_and_flows_without_reading_history(
    org: Org, world: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kehu.lifecycle import analytics_selectors

    monkeypatch.setattr(analytics_selectors, "LIVE_CUSTOMERS", 1)
    body = api_client_for(org.sales).get("/api/v1/lifecycle/stats").json()
    assert body["total"] == 2  # the same counts, from the current stages
