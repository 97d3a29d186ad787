"""Channels compared: the nightly sums and the live ones agree, the page, the API and
the command show them, and each refused role is refused."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kehu.channels.models import ChannelMonth
from kehu.channels.selectors import BY_CAMPAIGN, Span, channel_comparison
from kehu.channels.summaries import channel_months_refresh, months_back
from tests.channels.conftest import buy
from tests.factories import make_customer


def _span(**kwargs) -> Span:
    end = timezone.localdate().replace(day=1)
    return Span(start=months_back(end, 12), end=end, **kwargs)


def _rows(comparison) -> dict[str, dict[str, object]]:
    return {
        r.key: {
            **r.sums.counts,
            "first": r.sums.first_order_revenue,
            "cost": r.cost,
            "roi": r.roi,
            "per": r.cost_per_customer,
        }
        for r in comparison.rows
    }


def test_each_channel_brings_what_its_leads_and_customers_did(org, history):
    rows = _rows(channel_comparison(_span()))
    website, referral = rows["website"], rows["referral"]
    assert (website["leads"], website["qualified"], website["converted"]) == (3, 2, 1)
    assert (website["lead_opportunities"], website["lead_won"], website["lead_repeat"]) == (1, 1, 1)
    assert (website["customers"], website["buyers"], website["repeat_buyers"]) == (1, 1, 1)
    assert website["first"] == Decimal("100.00")  # the first order, not both
    assert website["cost"] == Decimal("300") and website["per"] == Decimal("300.00")
    # No value run yet: the value is the first orders; (100 − 300) ÷ 300.
    assert website["roi"] == pytest.approx(-2 / 3)
    assert (referral["leads"], referral["customers"], referral["buyers"]) == (0, 2, 1)
    assert referral["per"] == Decimal("20.00") and referral["roi"] == pytest.approx(1.0)


def test_the_nightly_sums_and_the_live_ones_agree(org, history):
    live = _rows(channel_comparison(_span()))
    run = channel_months_refresh()
    assert run.rows == ChannelMonth.objects.count() > 0
    assert _rows(channel_comparison(_span())) == live
    # A customer created after the pass is counted live, once.
    newcomer = make_customer(org.sales, name="新推荐", source_channel="referral")
    buy(org.sales, newcomer, "20.00")
    rows = _rows(channel_comparison(_span()))
    assert rows["referral"]["customers"] == 3 and rows["referral"]["buyers"] == 2
    channel_months_refresh()
    assert _rows(channel_comparison(_span())) == rows


def test_a_team_sees_its_own_and_no_cost(org, history):
    make_customer(org.west_sales, name="西部推荐", source_channel="referral")
    channel_months_refresh()
    east = _rows(channel_comparison(_span(team_id=org.east.pk)))
    west = _rows(channel_comparison(_span(team_id=org.west.pk)))
    assert east["referral"]["customers"] == 2 and west["referral"]["customers"] == 1
    assert east["website"]["cost"] == 0 and east["website"]["roi"] is None


def test_by_campaign_rows_without_a_campaign_are_one_row(org, history):
    comparison = channel_comparison(_span(by=BY_CAMPAIGN))
    assert [r.key for r in comparison.rows] == [""]
    assert comparison.total.sums.counts["leads"] == 3


def test_months_outside_the_span_do_not_count(org, history):
    end = months_back(timezone.localdate(), 3)
    comparison = channel_comparison(Span(start=months_back(end, 6), end=end))
    assert comparison.rows == []


def test_the_page_shows_the_table_chart_and_funnel(org, history):
    channel_months_refresh()
    client = Client()
    client.force_login(org.manager)
    response = client.get(reverse("channels:compare"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="table-channels"' in html and 'id="table-funnel"' in html
    assert "官网" in html and "客户推荐" in html and "¥300.00" in html
    assert 'id="costs-link"' in html
    # A span ending before the start: a clear message, the default span shown.
    html = client.get(reverse("channels:compare"), {"start": "2026-05", "end": "2026-01"})
    assert "结束月份不能早于起始月份" in html.content.decode()


def test_the_page_in_english(org, history):
    client = Client()
    client.force_login(org.analyst)
    html = client.get(reverse("channels:compare"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Channels compared" in html and "Website" in html
    assert 'id="costs-link"' not in html  # analysts read, do not type costs


@pytest.mark.parametrize("role", ["sales", "service"])
def test_refused_roles_get_403(org, history, role):
    client = Client()
    client.force_login(getattr(org, role))
    assert client.get(reverse("channels:compare")).status_code == 403
    assert client.get(reverse("channels:costs")).status_code == 403
    response = client.get("/api/v1/analytics/channels")
    assert response.status_code == 403


def test_the_api_gives_the_page_s_numbers(org, history):
    client = Client()
    client.force_login(org.admin)
    response = client.get("/api/v1/analytics/channels", {"by": "channel"})
    assert response.status_code == 200
    body = response.json()
    website = next(c for c in body["channels"] if c["key"] == "website")
    assert website["leads"] == 3 and website["customers"] == 1
    assert website["cost"] == "300.00" and website["cost_per_customer"] == "300.00"
    assert website["funnel"] == {
        "leads": 3,
        "qualified": 2,
        "opportunity": 1,
        "won": 1,
        "repeat": 1,
    }
    assert body["total"]["customers"] == 3
    bad = client.get("/api/v1/analytics/channels", {"start": "2026-13"})
    assert bad.status_code == 422
    bad = client.get("/api/v1/analytics/channels", {"start": "2026-05", "end": "2026-01"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"


def test_the_command_summarizes_records_costs_and_shows(org, history):
    out = StringIO()
    call_command("channels", "summarize", stdout=out)
    assert "rows" in out.getvalue()
    month = timezone.localdate().strftime("%Y-%m")
    call_command("channels", "cost", "website", month, "450.50", stdout=out)
    call_command("channels", "show", stdout=out)
    assert "450.50" in out.getvalue()
