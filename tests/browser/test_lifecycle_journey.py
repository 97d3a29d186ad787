"""An admin tunes a lifecycle rule in the browser: opens the six-phase model from the
menu, opens a rule, changes its condition, previews how many customers it would move
today, saves; after the daily evaluation the customer page shows the new stage."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from kehu.accounts.models import Role
from kehu.lifecycle.engine import lifecycle_evaluate
from kehu.lifecycle.models import Rule
from tests.browser.helpers import login
from tests.factories import make_customer, make_user
from tests.lifecycle.factories import buy, days_ago

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_models"),
]


def test_admin_previews_and_saves_a_rule(page, live_server):
    boss = make_user(Role.ADMIN, username="boss", team=None)
    lapsed = make_customer(None, name="久未购买", actor=boss)
    recent = make_customer(None, name="刚刚购买", actor=boss)
    buy(boss, lapsed, days_ago(100))
    buy(boss, recent, days_ago(5))
    lifecycle_evaluate([lapsed.pk, recent.pk], now=timezone.now())
    url = live_server.url
    login(page, url, "boss")

    page.click("#nav-settings > .dropdown-toggle")  # the 设置 dropdown
    page.click("#nav-settings >> text=生命周期模型")
    page.wait_for_selector("#model-six_phase")
    page.screenshot(path="/tmp/kehu-lifecycle-models.png", full_page=True)
    page.click("#model-six_phase >> text=六阶段客户管理")
    page.wait_for_selector("#stages")
    page.screenshot(path="/tmp/kehu-lifecycle-model.png", full_page=True)
    page.click("#rules >> text=长期未购买：退出")
    page.wait_for_selector("#facts >> text=days_since_last_order")

    condition = {"fact": "days_since_last_order", "op": ">=", "value": 90}
    page.fill("#id_condition", json.dumps(condition))
    page.click("#preview-button")
    page.wait_for_selector("#preview-count")
    assert "今天将有 1 位客户" in page.inner_text("#preview-count")
    assert "久未购买" in page.inner_text("#preview-samples")
    assert "刚刚购买" not in page.inner_text("#preview-samples")
    page.screenshot(path="/tmp/kehu-lifecycle-rule.png", full_page=True)

    page.click("#save-button")
    page.wait_for_selector("text=已保存")
    rule = Rule.objects.get(model__key="six_phase", to_stage__key="exit")
    assert rule.condition == condition

    lifecycle_evaluate([lapsed.pk, recent.pk], now=timezone.now())  # the daily job
    page.goto(f"{url}/customers/{lapsed.pk}/")
    badge = page.locator("#lifecycle .badge").first
    assert badge.inner_text() == "退出"

    # A refused manual move answers 422 and the card shows why (htmx swaps 422s).
    page.fill("#reason-six_phase", "客户来电说明")
    page.click("#lifecycle button:has-text('调整阶段')")
    page.wait_for_selector("#lifecycle >> text=已处于")
