"""The customer page shows every amount in one format (issue 18, item 14: ¥16,660.00,
¥16660.00 and 1250361.27 were printed on one page), its timeline gives a stage change
the stage's colour, and the release button reads as an action in English while the
history still says what happened."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.customers.ownership import pool_release
from kehu.lifecycle.models import LifecycleModel, Stage
from kehu.lifecycle.services import stage_move
from kehu.value.models import CustomerValue, RunStatus, ScoreRun
from tests.factories import make_customer
from tests.lifecycle.factories import buy, days_ago

pytestmark = pytest.mark.django_db
LANGUAGES = ("zh-hans", "en")


@pytest.fixture
def bought(org):
    customer = make_customer(org.sales, name="甲")
    buy(org.sales, customer, days_ago(3), total="16660.00", cost="10000.00")
    day = timezone.localdate()
    moment = timezone.now()
    run = ScoreRun.objects.create(
        as_of=day, started_at=moment, finished_at=moment, status=RunStatus.SUCCEEDED
    )
    CustomerValue.objects.create(
        run=run, customer=customer, recency_days=3, r=5, f=1, m=5, rfm_score=11,
        rfm_segment="new", orders=1, revenue=Decimal("16660.00"), profit=Decimal("6660.00"),
        segment="top", tier=3, clv=Decimal("1250361.27"), p_alive=0.5,
        expected_purchases_90d=1.2, risk=0.8, at_risk=True, money_at_stake=Decimal("44738.00"),
        worth_saving=True,
    )  # fmt: skip
    return customer


def _pages(client, customer, language):
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    page = client.get(reverse("customers:detail", args=[customer.pk]), **headers)
    timeline = client.get(reverse("customers:timeline", args=[customer.pk]), **headers)
    assert page.status_code == 200 and timeline.status_code == 200
    return page.content.decode(), timeline.content.decode()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_amount_on_the_customer_page_in_one_format(org, client, bought, language):
    client.force_login(org.sales)
    page, timeline = _pages(client, bought, language)
    assert page.count("¥16,660.00") >= 3  # net revenue, the recent order, total spend
    assert "¥6,660.00" in page  # gross profit
    assert "¥1,250,361.27" in page  # lifetime value
    assert "¥44,738.00" in page  # at stake, in the worth-saving verdict
    assert "¥16,660.00" in timeline  # the order on the timeline
    for text in (page, timeline):
        assert "16660" not in text and "1250361" not in text  # never ungrouped
        assert not re.search(r"¥\d{4}", text)
        assert not re.search(r"\d 元", text)


def test_the_timeline_badge_of_a_stage_change_wears_the_stage_colour(org, client):
    customer = make_customer(org.sales, name="乙")
    model = LifecycleModel.objects.get(key="six_phase")
    stage = Stage.objects.get(model=model, key="develop")
    stage.color = "#0d9488"
    stage.save(update_fields=["color"])
    stage_move(actor=org.sales, customer=customer, model=model, stage=stage, reason="展会")
    client.force_login(org.sales)
    html = client.get(reverse("customers:timeline", args=[customer.pk]) + "?kind=lifecycle")
    badge = re.search(r'<span class="badge timeline-lifecycle[^>]*>', html.content.decode())
    assert badge is not None
    assert 'style="background-color: #0d9488"' in badge.group(0)


def test_release_is_an_action_on_the_button_and_a_past_event_in_the_history(org, client):
    kept = make_customer(org.sales, name="丙")
    released = make_customer(org.sales, name="丁")
    pool_release(actor=org.sales, customer=released, reason="无需求")
    client.force_login(org.sales)
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    button = client.get(reverse("customers:detail", args=[kept.pk]), **english).content.decode()
    assert "Release to public pool</summary>" in button
    assert "Released to public pool" not in button
    client.force_login(org.manager)  # the pool customer's history, seen by the manager
    history = client.get(reverse("customers:detail", args=[released.pk]), **english)
    assert "Released to public pool" in history.content.decode()


def test_dates_on_the_value_card_are_iso_in_both_languages(org, client, bought):
    client.force_login(org.sales)
    day = timezone.localdate().isoformat()
    for language in LANGUAGES:
        page, _timeline = _pages(client, bought, language)
        card = page[page.index('id="value-card"') :]
        assert day in card[:2000]
        assert not re.search(r"\d年\d+月\d+日|[A-Z][a-z]{2}\.? \d+, \d{4}", card[:2000])
    assert dt.date.fromisoformat(day)
