"""A manager opens the value dashboard after the nightly scoring: the charts draw, the
at-risk list explains its warnings, one click makes a retention task, and the
customer page shows the value card."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kehu.accounts.models import Role
from kehu.followups.models import Task
from kehu.value.models import CustomerValue, RunStatus
from kehu.value.services import score_run
from tests.browser.helpers import login
from tests.factories import make_user
from tests.value.factories import population

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_reads_value_and_saves_a_customer(page, live_server):
    boss = make_user(Role.ADMIN, username="boss", team=None)
    population(boss, n=260, today=timezone.localdate() - dt.timedelta(days=1))
    run = score_run(as_of=timezone.localdate())
    assert run.status == RunStatus.SUCCEEDED
    url = live_server.url
    login(page, url, "boss")

    page.click("#nav-analytics > .dropdown-toggle")  # the 分析 dropdown
    page.click("#nav-analytics >> text=客户价值")
    page.wait_for_selector("#chart-pareto canvas")  # ECharts drew the Pareto curve
    assert "前 20% 的客户贡献了" in page.inner_text("#section-pareto")
    page.screenshot(path="/tmp/kehu-value-dashboard.png", full_page=True)

    page.goto(f"{url}/value/at-risk/")
    page.wait_for_selector("#table-at-risk")
    first = CustomerValue.objects.filter(run=run, at_risk=True).order_by("-money_at_stake").first()
    assert first is not None
    row = page.locator(f"#task-{first.customer_id}")
    row.locator("button").click()
    page.wait_for_selector(f"#task-{first.customer_id} >> text=已创建挽留任务")
    task = Task.objects.get(customer_id=first.customer_id)
    assert task.title.startswith("挽留：")
    page.screenshot(path="/tmp/kehu-value-at-risk.png", full_page=True)

    page.goto(f"{url}/customers/{first.customer_id}/")
    page.wait_for_selector("#value-card")
    card = page.inner_text("#value-card")
    assert "★" in card and "RFM" in card
