"""The lifecycle card on the customer page, manual moves and flags through the UI."""

from __future__ import annotations

import pytest

from kehu.lifecycle.models import CustomerFlag, CustomerStage, LifecycleModel, Stage, StageChange
from kehu.lifecycle.services import stage_move
from tests.factories import make_customer


@pytest.fixture
def mine(org):
    return make_customer(org.sales, name="甲")


def test_card_shows_stage_path_and_reason(org, client, mine):
    model = LifecycleModel.objects.get(key="six_phase")
    stage_move(
        actor=org.sales,
        customer=mine,
        model=model,
        stage=Stage.objects.get(model=model, key="develop"),
        reason="展会重新联系上",
    )
    client.force_login(org.sales)
    page = client.get(f"/customers/{mine.pk}/").content.decode()
    assert 'id="lifecycle"' in page and "发展" in page and "展会重新联系上" in page
    assert "调整阶段" in page


def test_move_through_the_card(org, client, mine):
    client.force_login(org.sales)
    url = f"/lifecycle/customer/{mine.pk}/move/"
    refused = client.post(
        url, {"model": "six_phase", "stage": "maintain", "reason": ""}, HTTP_HX_REQUEST="true"
    )
    assert refused.status_code == 422 and "请填写手动调整阶段的原因" in refused.content.decode()
    assert not StageChange.objects.filter(customer=mine, kind="manual").exists()
    done = client.post(
        url, {"model": "six_phase", "stage": "maintain", "reason": "大客户"}, HTTP_HX_REQUEST="true"
    )
    assert done.status_code == 200
    assert CustomerStage.objects.get(customer=mine, model__key="six_phase").stage.key == "maintain"
    assert mine.changes.filter(field="lifecycle:six_phase").exists()  # audited


@pytest.mark.parametrize(
    ("role", "status"),
    [("service", 403), ("analyst", 403), ("west_sales", 404), ("east_sales2", 404)],
)
def test_move_and_flags_refused_per_role(org, client, mine, role, status):
    client.force_login(getattr(org, role))
    move = client.post(
        f"/lifecycle/customer/{mine.pk}/move/",
        {"model": "six_phase", "stage": "maintain", "reason": "x"},
    )
    flag = client.post(f"/lifecycle/customer/{mine.pk}/flags/", {"flag": "key_account", "on": "1"})
    assert move.status_code == status and flag.status_code == status
    assert not StageChange.objects.filter(customer=mine, kind="manual").exists()
    assert not CustomerFlag.objects.exists()


def test_flags_are_facts(org, client, mine):
    client.force_login(org.manager)
    client.post(
        f"/lifecycle/customer/{mine.pk}/flags/",
        {"flag": "key_account", "on": "1"},
        HTTP_HX_REQUEST="true",
    )
    from django.utils import timezone

    from kehu.lifecycle.facts import customer_facts

    assert customer_facts(mine.pk, now=timezone.now())["flags"] == {"key_account"}
    client.post(
        f"/lifecycle/customer/{mine.pk}/flags/",
        {"flag": "key_account", "on": "0"},
        HTTP_HX_REQUEST="true",
    )
    assert not CustomerFlag.objects.exists()


def test_stage_changes_on_the_timeline(org, client, mine):
    model = LifecycleModel.objects.get(key="six_phase")
    stage_move(
        actor=org.sales,
        customer=mine,
        model=model,
        stage=Stage.objects.get(model=model, key="retain"),
        reason="投诉未解决",
    )
    from kehu.customers.timeline import customer_timeline

    events = customer_timeline(mine, kinds=["lifecycle"], cursor=None, limit=10).events
    assert events and "挽留" in events[0].title and events[0].detail == "投诉未解决"
