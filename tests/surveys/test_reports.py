"""Reports: CSAT, NPS, response rate by month, team, owner and product; access."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from kehu.orders.models import Product
from kehu.surveys.models import Invitation, SurveyTrigger, TriggerKind
from kehu.surveys.reports import Bucket
from kehu.surveys.selectors import ResultFilters, survey_results
from kehu.surveys.services import order_triggers_run, response_record, trigger_save
from tests.factories import make_customer
from tests.surveys.factories import answers_for, make_survey, send_link
from tests.surveys.test_triggers import SHANGHAI, _order

pytestmark = pytest.mark.django_db


def test_bucket_arithmetic():
    b = Bucket("k", "k")
    for csat, nps in ((5, 10), (4, 9), (2, 3), (3, 7)):
        b.add(answered=True, csat=csat, nps=nps)
    b.add(answered=False, csat=None, nps=None)
    assert (b.sent, b.answered, b.response_rate) == (5, 4, 80.0)
    assert (b.csat_share, b.csat_mean) == (50.0, 3.5)
    assert b.nps == 25.0  # 2 promoters, 1 detractor of 4
    assert Bucket("e", "e").nps is None and Bucket("e", "e").response_rate is None


@pytest.fixture
def answered(org):
    survey = make_survey(org.admin)
    east = make_customer(org.sales, name="东")
    west = make_customer(org.west_sales, name="西")
    silent = make_customer(org.sales, name="未答")
    for customer, csat, nps in ((east, 5, 10), (west, 2, 3)):
        _inv, token = send_link(org.admin, survey, customer)
        response_record(raw_token=token, values=answers_for(survey, csat=csat, nps=nps))
    send_link(org.admin, survey, silent)
    return survey


def test_by_team_and_owner_scoped_to_what_the_user_sees(org, answered):
    everything = survey_results(org.admin, answered, ResultFilters(group="team"))
    assert (everything.totals.sent, everything.totals.answered) == (3, 2)
    assert everything.totals.nps == 0.0
    by_team = {b.label: b for b in everything.groups}
    assert by_team["华东"].sent == 2 and by_team["华东"].response_rate == 50.0
    assert by_team["华西"].csat_share == 0.0
    east_only = survey_results(org.manager, answered, ResultFilters(group="owner"))
    assert east_only.totals.sent == 2
    assert [b.label for b in east_only.groups] == ["east_sales"]
    month = survey_results(org.admin, answered, ResultFilters())
    assert len(month.groups) == 1 and month.groups[0].sent == 3


def test_by_product_through_the_triggering_order(org):
    survey = make_survey(org.admin)
    trigger = trigger_save(
        actor=org.admin, survey=survey, data={"kind": TriggerKind.ORDER_PAID, "channel": "link"}
    )
    now = dt.datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI)
    SurveyTrigger.objects.filter(pk=trigger.pk).update(created_at=now - dt.timedelta(days=3))
    tea = Product.objects.create(name="龙井", price=Decimal("100.00"))
    _order(make_customer(org.sales, name="甲"), "O-1", now - dt.timedelta(hours=2), tea)
    _order(make_customer(org.sales, name="乙"), "O-2", now - dt.timedelta(hours=1))
    assert order_triggers_run(now=now) == 2
    Invitation.objects.update(sent_at=now)
    results = survey_results(org.admin, survey, ResultFilters(group="product"))
    assert sorted((b.label, b.sent) for b in results.groups) == [("无关联订单", 1), ("龙井", 1)]


def test_report_page_and_empty_state(org, answered):
    web = Client(HTTP_HOST="localhost")
    web.force_login(org.analyst)
    page = web.get(f"/surveys/{answered.pk}/report/?group=team")
    html = page.content.decode()
    assert page.status_code == 200 and "华东" in html and 'id="survey-results"' in html
    assert "/static/vendor/echarts/echarts.min.js" in html
    empty = make_survey(org.admin, name="空")
    html = web.get(f"/surveys/{empty.pk}/report/").content.decode()
    assert "暂无数据" in html and "echarts" not in html


@pytest.mark.parametrize("role", ["sales", "service"])
def test_report_refused(org, answered, role):
    web = Client(HTTP_HOST="localhost")
    web.force_login(getattr(org, role))
    assert web.get(f"/surveys/{answered.pk}/report/").status_code == 403
    assert web.get("/surveys/999999/report/").status_code == 404
