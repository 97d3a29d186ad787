"""The recompute command, the daily job and the demo's history."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from kehu.customers.models import Customer
from kehu.lifecycle.models import CustomerStage, StageChange
from kehu.lifecycle.tasks import lifecycle_daily
from tests.factories import make_customer
from tests.lifecycle.factories import buy, days_ago


def test_recompute_command_places_everyone_once(org, engine_off):
    customers = [make_customer(org.sales, name=f"客户{i}") for i in range(3)]
    buy(org.sales, customers[0], days_ago(400))
    out, err = io.StringIO(), io.StringIO()
    call_command("lifecycle", "recompute", "--chunk", "2", stdout=out, stderr=err)
    assert "3 customers evaluated, 3 stage changes" in out.getvalue()
    assert CustomerStage.objects.count() == 3
    call_command("lifecycle", "recompute", stdout=out, stderr=err)
    assert "0 stage changes" in out.getvalue()
    with pytest.raises(CommandError, match="unknown lifecycle model"):
        call_command("lifecycle", "recompute", "--model", "nope", stdout=out, stderr=err)


def test_daily_job_is_idempotent(org, engine_off):
    make_customer(org.sales, name="甲")
    first = lifecycle_daily()
    assert first["changes"] == 1
    assert lifecycle_daily()["changes"] == 0


@pytest.mark.django_db
def test_demo_has_stages_and_history():
    call_command("demo", "--customers", "60", "--seed", "3", stdout=io.StringIO())
    alive = Customer.objects.alive().count()
    placed = CustomerStage.objects.filter(model__key="six_phase").count()
    assert placed >= alive - 5  # planted duplicates are placed by the next daily run
    assert StageChange.objects.filter(kind="rule").exists()
    assert StageChange.objects.order_by("at").first().at < days_ago(300)
