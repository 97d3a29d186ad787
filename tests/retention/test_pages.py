"""The pages: list, create with steps, report with the uplift, the customer card,
starting and stopping by hand — and the roles refused."""

from __future__ import annotations

import pytest

from kehu.retention.models import Outcome, Playbook, PlaybookRun
from kehu.retention.services import playbook_start
from kehu.segments.services import members_add, segment_create
from tests.factories import make_customer
from tests.retention.conftest import make_playbook


def _post_playbook(client, **extra):
    data = {
        "name": "三步挽留",
        "trigger": "churn_risk",
        "risk_threshold": "0.6",
        "tier_drop": "1",
        "window_days": "60",
        "holdout_percent": "10",
        "cost_per_run": "0",
        "is_active": "on",
        "steps-TOTAL_FORMS": "2",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "20",
        "steps-0-kind": "call",
        "steps-0-title": "电话了解原因",
        "steps-0-due_days": "2",
        "steps-0-owner_rule": "owner",
        "steps-1-kind": "",
        **extra,
    }
    return client.post("/retention/new/", data)


def test_a_manager_creates_a_playbook_with_its_steps(client, org):
    client.force_login(org.manager)
    response = _post_playbook(client)
    playbook = Playbook.objects.get()
    assert response.status_code == 302 and response.url == f"/retention/{playbook.pk}/"
    assert playbook.risk_threshold == 0.6
    assert [s.title for s in playbook.steps.all()] == ["电话了解原因"]
    page = client.get(f"/retention/{playbook.pk}/")
    assert page.status_code == 200 and "数据不足" in page.content.decode()


def test_a_churn_playbook_without_a_threshold_is_refused_with_a_message(client, org):
    client.force_login(org.manager)
    response = _post_playbook(client, risk_threshold="")
    assert response.status_code == 200 and "请填写阈值" in response.content.decode()
    assert not Playbook.objects.exists()


def test_an_edit_from_a_stale_version_is_refused(client, org):
    playbook = make_playbook(org.manager)
    client.force_login(org.manager)
    response = client.post(
        f"/retention/{playbook.pk}/edit/",
        {
            "name": "改名",
            "trigger": "manual",
            "tier_drop": "1",
            "window_days": "60",
            "holdout_percent": "10",
            "cost_per_run": "0",
            "version": "99",
            "steps-TOTAL_FORMS": "1",
            "steps-INITIAL_FORMS": "0",
            "steps-0-kind": "call",
            "steps-0-due_days": "1",
            "steps-0-owner_rule": "owner",
        },
    )
    assert response.status_code == 200 and "已被他人修改" in response.content.decode()
    playbook.refresh_from_db()
    assert playbook.name == "高风险挽留"


def test_the_list_and_report_for_an_analyst_but_no_edit(client, org):
    playbook = make_playbook(org.manager)
    client.force_login(org.analyst)
    assert client.get("/retention/").status_code == 200
    assert client.get(f"/retention/{playbook.pk}/").status_code == 200
    assert client.get(f"/retention/{playbook.pk}/edit/").status_code == 403
    assert client.get("/retention/new/").status_code == 403


@pytest.mark.parametrize("role", ["sales", "service"])
def test_roles_without_the_report_are_refused(client, org, role):
    playbook = make_playbook(org.manager)
    client.force_login(getattr(org, role))
    assert client.get("/retention/").status_code == 403
    assert client.get(f"/retention/{playbook.pk}/").status_code == 403


def test_start_and_stop_from_the_customer_page(client, org):
    customer = make_customer(org.sales, name="王五")
    playbook = make_playbook(org.manager)
    client.force_login(org.manager)
    response = client.post(
        f"/retention/customers/{customer.pk}/start/", {"playbook": playbook.pk}, follow=True
    )
    html = response.content.decode()
    assert "已为 1 位客户启动" in html and 'id="retention"' in html
    run = PlaybookRun.objects.get(customer=customer)
    again = client.post(
        f"/retention/customers/{customer.pk}/start/", {"playbook": playbook.pk}, follow=True
    )
    assert "已有进行中的挽留方案" in again.content.decode()
    client.post(f"/retention/runs/{run.pk}/stop/", {"reason": "客户已注销"})
    run.refresh_from_db()
    assert run.outcome == Outcome.STOPPED


def test_the_salesperson_sees_the_run_on_the_customer_page_but_cannot_stop_it(client, org, rng):
    customer = make_customer(org.sales, name="赵六")
    playbook = make_playbook(org.manager)
    playbook_start(actor=org.manager, playbook=playbook, customer_ids=[customer.pk], rng=rng)
    run = PlaybookRun.objects.get()
    client.force_login(org.sales)
    html = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "高风险挽留" in html and "停止原因" not in html
    assert client.post(f"/retention/runs/{run.pk}/stop/", {"reason": "x"}).status_code == 403
    client.force_login(org.west_sales)
    assert client.post(f"/retention/runs/{run.pk}/stop/", {"reason": "x"}).status_code == 404


def test_start_for_a_segment(client, org):
    customers = [make_customer(org.sales, name=f"客户{i}") for i in range(3)]
    segment = segment_create(actor=org.manager, data={"name": "名单", "kind": "static"})
    members_add(actor=org.manager, segment=segment, customer_ids=[c.pk for c in customers])
    playbook = make_playbook(org.manager)
    client.force_login(org.manager)
    client.post(f"/retention/{playbook.pk}/start-segment/", {"segment": segment.pk})
    assert PlaybookRun.objects.count() == 3


def test_the_pages_read_in_english(org, rng):
    from django.test import Client

    customer = make_customer(org.sales, name="王五")
    playbook = make_playbook(org.manager)
    playbook_start(actor=org.manager, playbook=playbook, customer_ids=[customer.pk], rng=rng)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(org.manager)
    client.cookies["django_language"] = "en"
    report = client.get(f"/retention/{playbook.pk}/").content.decode()
    for words in ("Save rate", "Not enough data", "Hold-out share", "Start for a segment"):
        assert words in report
    for words in ("挽回率", "数据不足", "对照组", "步骤"):
        assert words not in report
    card = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "Retention playbooks" in card and "Stop" in card and "挽留方案" not in card
    assert "New retention playbook" in client.get("/retention/new/").content.decode()
