"""Saving a rule says when it applies, and offers to apply it now: a job through the queue
(immediate mode here) with its progress recorded in its run and a page that polls it; one
apply per model at a time."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from django.test import Client
from django.utils import timezone

from kehu.jobs.models import JobRun, JobStatus
from kehu.jobs.runs import run_request, this_host
from kehu.lifecycle.apply import (
    apply_job_name,
    daily_next,
    lifecycle_apply_request,
)
from kehu.lifecycle.engine import lifecycle_evaluate
from kehu.lifecycle.models import CustomerStage, LifecycleModel, Rule, StageChange
from kehu.lifecycle.tasks import lifecycle_apply, lifecycle_apply_run
from tests.api.conftest import api_client_for
from tests.factories import make_customer
from tests.lifecycle.factories import buy, days_ago

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
NINETY_DAYS = {"fact": "days_since_last_order", "op": ">=", "value": 90}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def six_phase() -> LifecycleModel:
    return LifecycleModel.objects.get(key="six_phase")


def stage_key(customer) -> str:
    return CustomerStage.objects.get(customer=customer, model__key="six_phase").stage.key


@pytest.fixture
def customers(org, engine_off):
    """a: bought 100 days ago; b: 200 days ago; c: 10 days ago; all placed today."""
    made = {}
    for name, ago in (("a", 100), ("b", 200), ("c", 10)):
        made[name] = make_customer(org.sales, name=f"客户{name}")
        buy(org.sales, made[name], days_ago(ago))
    lifecycle_evaluate([c.pk for c in made.values()], now=timezone.now())
    return made


def exit_rule() -> Rule:
    return Rule.objects.get(model__key="six_phase", to_stage__key="exit")


def save_exit_rule_as_ninety_days(client: Client) -> object:
    rule = exit_rule()
    data = {
        "name": rule.name,
        "from_stages": list(rule.from_stages),
        "to_stage": "exit",
        "priority": rule.priority,
        "is_active": "on",
        "condition": json.dumps(NINETY_DAYS),
        "version": rule.version,
    }
    return client.post(f"/lifecycle/rules/{rule.pk}/", data)


def test_saving_a_rule_says_when_it_applies_and_offers_to_apply_now(org, customers):
    admin = client_for(org.admin)
    response = save_exit_rule_as_ninety_days(admin)
    assert response.status_code == 302 and response["Location"].endswith("#apply")
    when = daily_next()
    assert when is not None and (when.hour, when.minute) == (5, 0)
    page = admin.get(response["Location"].split("#")[0])
    html = page.content.decode()
    assert f"下次每日评估（{when:%Y-%m-%d %H:%M}）时应用到所有客户" in html  # the message
    assert 'id="apply-now"' in html and when.strftime("%Y-%m-%d %H:%M") in html
    # Saved, but nobody has moved yet.
    assert [stage_key(customers[n]) for n in "abc"] == ["acquire", "retain", "acquire"]


def test_apply_now_runs_through_the_queue_and_records_its_progress(
    org, customers, django_capture_on_commit_callbacks
):
    admin = client_for(org.admin)
    save_exit_rule_as_ninety_days(admin)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin.post("/lifecycle/models/six_phase/apply/")
    assert len(callbacks) == 1  # the Huey task, enqueued once the run row is committed
    run = JobRun.objects.get(name=apply_job_name(six_phase()))
    assert response.status_code == 302
    assert response["Location"] == f"/lifecycle/models/six_phase/apply/{run.pk}/"
    assert run.status == JobStatus.OK and run.host == this_host() and run.pid == os.getpid()
    assert run.progress_total == run.progress_done == 3
    assert run.result == {"model": "six_phase", "customers": 3, "changes": 2}
    assert [stage_key(customers[n]) for n in "abc"] == ["exit", "exit", "acquire"]
    assert StageChange.objects.filter(to_stage__key="exit", kind="rule").count() == 2
    page = admin.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and 'id="apply-result"' in html
    assert "评估了 3 位客户" in html and "2 位客户的阶段有变化" in html
    assert 'hx-trigger="every 1s"' not in html  # finished: the page stops polling
    model_page = admin.get("/lifecycle/models/six_phase/").content.decode()
    assert 'id="apply-last"' in model_page


def test_a_second_click_joins_the_apply_that_is_queued(
    org, customers, django_capture_on_commit_callbacks
):
    admin = client_for(org.admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = admin.post("/lifecycle/models/six_phase/apply/")
        second = admin.post("/lifecycle/models/six_phase/apply/", follow=True)
    run = JobRun.objects.get(name=apply_job_name(six_phase()))
    assert len(callbacks) == 1  # one job on the queue
    assert first["Location"] == f"/lifecycle/models/six_phase/apply/{run.pk}/"
    assert second.redirect_chain[-1][0] == first["Location"]
    html = second.content.decode()
    assert "已经在应用中" in html
    assert 'hx-trigger="every 1s"' in html and "排队中" in html
    partial = admin.get(f"{first['Location']}?part=progress", **HTMX)
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    model_page = admin.get("/lifecycle/models/six_phase/").content.decode()
    assert 'id="apply-current"' in model_page and 'id="apply-now"' not in model_page
    # The worker takes it; a second delivery of the same task does nothing.
    lifecycle_apply(run.pk, "six_phase")
    lifecycle_apply(run.pk, "six_phase")
    run.refresh_from_db()
    assert run.status == JobStatus.OK and run.result["customers"] == 3
    assert JobRun.objects.filter(name=run.name).count() == 1


def test_each_model_applies_on_its_own(org, customers, django_capture_on_commit_callbacks):
    four = LifecycleModel.objects.get(key="four_states")
    four.is_active = True
    four.save()
    with django_capture_on_commit_callbacks(execute=False):
        one, created = lifecycle_apply_request(actor=org.admin, model=six_phase())
        other, other_created = lifecycle_apply_request(actor=org.admin, model=four)
    assert created and other_created and one.pk != other.pk


def test_a_lost_run_does_not_block_the_next_apply(org, customers):
    name = apply_job_name(six_phase())
    old = timezone.now() - dt.timedelta(hours=3)
    lost = JobRun.objects.create(name=name, status=JobStatus.QUEUED, started_at=old)
    run, created = run_request(name, enqueue=lambda run_id: None, lease=dt.timedelta(hours=2))
    assert created and run.pk != lost.pk
    lost.refresh_from_db()
    assert lost.status == JobStatus.INTERRUPTED
    assert lifecycle_apply_run(lost.pk, "six_phase") is None  # too late: never runs


def test_an_inactive_model_is_not_applied(org, customers):
    admin = client_for(org.admin)
    html = admin.get("/lifecycle/models/call_center/").content.decode()
    assert 'id="apply-now"' not in html and "模型未启用" in html
    response = admin.post("/lifecycle/models/call_center/apply/", follow=True)
    assert "未启用" in response.content.decode()
    assert not JobRun.objects.filter(name__startswith="lifecycle_apply:").exists()


@pytest.mark.parametrize("role", ["manager", "sales", "service", "analyst"])
def test_only_admins_apply(org, customers, role):
    run = JobRun.objects.create(
        name=apply_job_name(six_phase()), status=JobStatus.OK, started_at=timezone.now()
    )
    client = client_for(getattr(org, role))
    assert client.post("/lifecycle/models/six_phase/apply/").status_code == 403
    assert client.get(f"/lifecycle/models/six_phase/apply/{run.pk}/").status_code == 403
    assert JobRun.objects.count() == 1


def test_a_run_of_another_model_or_job_is_not_found(org, customers):
    admin = client_for(org.admin)
    other = JobRun.objects.create(name="reminders", status=JobStatus.OK, started_at=timezone.now())
    assert admin.get(f"/lifecycle/models/six_phase/apply/{other.pk}/").status_code == 404
    mine = JobRun.objects.create(
        name=apply_job_name(six_phase()), status=JobStatus.OK, started_at=timezone.now()
    )
    assert admin.get(f"/lifecycle/models/four_states/apply/{mine.pk}/").status_code == 404
    assert admin.get(f"/lifecycle/models/six_phase/apply/{mine.pk}/").status_code == 200


def test_apply_through_the_api(org, customers, django_capture_on_commit_callbacks):
    api = api_client_for(org.admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = api.post("/api/v1/lifecycle/models/six_phase/apply")
        again = api.post("/api/v1/lifecycle/models/six_phase/apply")
    assert first.status_code == again.status_code == 202
    assert first.json()["status"] == "queued" and first.json()["joined"] is False
    assert again.json()["id"] == first.json()["id"] and again.json()["joined"] is True
    for callback in callbacks:
        callback()
    run_id = first.json()["id"]
    done = api.get(f"/api/v1/lifecycle/models/six_phase/apply/{run_id}")
    assert done.status_code == 200
    assert done.json()["status"] == "ok" and done.json()["done"] == done.json()["total"] == 3
    assert done.json()["result"]["customers"] == 3
    assert api.get(f"/api/v1/lifecycle/models/four_states/apply/{run_id}").status_code == 404
    assert api.post("/api/v1/lifecycle/models/nope/apply").status_code == 404
    inactive = api.post("/api/v1/lifecycle/models/call_center/apply")
    assert inactive.status_code == 409 and inactive.json()["code"] == "model_inactive"
    sales = api_client_for(org.sales)
    assert sales.post("/api/v1/lifecycle/models/six_phase/apply").status_code == 403
    assert sales.get(f"/api/v1/lifecycle/models/six_phase/apply/{run_id}").status_code == 403
