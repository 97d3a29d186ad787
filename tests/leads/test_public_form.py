"""The public form: no login, honeypot, rate limit per client address (in the
database), a double submit makes one lead, embeddable in an iframe."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from kehu.leads.models import FormHit, Lead
from kehu.leads.public import form_rate_allow
from kehu.messaging.models import Campaign

pytestmark = pytest.mark.django_db

URL = "/leads/form/"


def post(client, token="t-1", **extra):
    data = {"name": "访客", "phone": "13800138000", "city": "杭州", "token": token, **extra}
    return client.post(URL, data, REMOTE_ADDR=extra.pop("ip", "10.0.0.1"))


def test_the_form_needs_no_login_and_carries_a_token():
    page = Client().get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="website"' in html and re.search(r'name="token" value="[0-9a-f]{32}"', html)


def test_a_submission_makes_a_lead_from_the_website():
    answer = post(Client(enforce_csrf_checks=True))
    assert answer.status_code == 200 and "谢谢" in answer.content.decode()
    lead = Lead.objects.get()
    assert lead.phone == "+8613800138000" and lead.source_channel == "website"
    assert lead.created_by is None and lead.client_token == "t-1"


def test_a_double_submit_makes_one_lead():
    client = Client()
    assert post(client).status_code == 200
    assert post(client).status_code == 200
    assert Lead.objects.count() == 1


def test_the_honeypot_answers_like_a_success_and_keeps_nothing():
    answer = post(Client(), website="http://spam.example")
    assert answer.status_code == 200 and "谢谢" in answer.content.decode()
    assert not Lead.objects.exists() and not FormHit.objects.exists()


@override_settings(KEHU_LEAD_FORM_RATE=3)
def test_a_flood_from_one_address_is_refused_with_a_message():
    client = Client()
    codes = [post(client, token=f"t-{i}").status_code for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert Lead.objects.count() == 3
    assert "提交太频繁" in post(client, token="t-9").content.decode()
    # Another address is not held back.
    assert post(client, token="t-10", ip="10.0.0.2").status_code == 200


def test_the_rate_limit_is_counted_in_the_database():
    assert all(form_rate_allow("1.2.3.4", limit=2) for _ in range(2))
    assert not form_rate_allow("1.2.3.4", limit=2)
    assert FormHit.objects.get(client="1.2.3.4").count == 3  # the refused one counts too


def test_bad_input_is_shown_on_the_form_and_nothing_is_made():
    answer = post(Client(), phone="(415) 555-0100")
    assert answer.status_code == 422 and "境外" in answer.content.decode()
    answer = post(Client(), token="t-2", phone="12345")
    assert answer.status_code == 422
    assert not Lead.objects.exists()


def test_the_embed_may_be_framed_and_the_page_may_not():
    embed = Client().get(reverse("leads:public_embed"))
    assert "X-Frame-Options" not in embed
    assert "frame-ancestors *" in embed["Content-Security-Policy"]
    assert "default-src 'self'" in embed["Content-Security-Policy"]  # the rest kept
    page = Client().get(URL)
    assert page["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]


def test_channel_and_campaign_come_from_the_address():
    campaign = Campaign.objects.create(
        name="双十一", channel="sms", body="x", created_at="2026-11-01T00:00:00Z"
    )
    Client().post(
        f"/leads/form/embed/?channel=trade_show&campaign={campaign.pk}",
        {"name": "访客", "phone": "13800138000", "token": "t-3"},
    )
    lead = Lead.objects.get()
    assert lead.source_channel == "trade_show" and lead.campaign == campaign
    Client().post("/leads/form/?channel=bogus", {"name": "b", "phone": "13800138009", "token": "x"})
    assert Lead.objects.get(client_token="x").source_channel == "website"
