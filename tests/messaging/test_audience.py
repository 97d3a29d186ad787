"""The group send's audience, said exactly: "all channels" is a real choice, the preview
counts who will receive the message (consent and an address on the channel) and who is
skipped and why, and the form says whose customers the sender's role reaches."""

from __future__ import annotations

import re

import pytest
from django.db.models import Count
from django.test import Client
from django.urls import reverse

from kehu.messaging.audience import SendScope, audience_reach, send_scope
from kehu.messaging.models import Campaign, ConsentStatus, Recipient, RecipientStatus
from tests.api.conftest import api_client_for
from tests.factories import make_customer
from tests.messaging.factories import consenting_customer

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(**changes):
    return {
        "name": "双十一",
        "channel": "sms",
        "purpose": "marketing",
        "body": "{称呼}好",
        **changes,
    }


@pytest.fixture
def book(org):
    """The salesperson's five customers, one per outcome of an SMS marketing send."""
    return {
        "granted": consenting_customer(org.sales, name="甲", source_channel="website"),
        "granted2": consenting_customer(org.sales, name="乙", source_channel="referral"),
        "withdrawn": consenting_customer(
            org.sales, name="丙", status=ConsentStatus.WITHDRAWN, source_channel="website"
        ),
        "never_asked": make_customer(org.sales, name="丁", phones=("+8613900000001",)),
        "no_phone": consenting_customer(org.sales, name="戊", phones=()),
    }


def test_the_source_filter_offers_all_channels_not_unknown(org):
    html = client_for(org.sales).get(reverse("messaging:new")).content.decode()
    select = re.search(r'<select name="source".*?</select>', html, re.S).group(0)
    assert re.search(r'<option value="" selected>全部渠道</option>', select)
    assert "未知" not in select and "官网" in select


def test_all_channels_means_every_channel(org, book):
    response = client_for(org.sales).post(reverse("messaging:new"), _form(action="preview"))
    assert response.context["preview"].count == 5
    website = client_for(org.sales).post(
        reverse("messaging:new"), _form(action="preview", source="website")
    )
    assert website.context["preview"].count == 2


def test_the_preview_counts_exactly_who_receives_and_why_the_rest_are_skipped(
    org, book, django_capture_on_commit_callbacks
):
    client = client_for(org.sales)
    response = client.post(reverse("messaging:new"), _form(action="preview"))
    preview = response.context["preview"]
    assert (preview.count, preview.receiving) == (5, 2)
    assert preview.reach.skipped == {"withdrawn": 1, "no_consent": 1, "no_address": 1}
    html = response.content.decode()
    assert "发送给这 2 位客户" in html and "5 位客户" not in html.split("preview-reach")[0]
    reasons = re.search(r'id="preview-skipped-reasons">(.*?)</ul>', html, re.S).group(1)
    assert "已退订：1" in reasons and "未同意接收：1" in reasons and "没有邮箱/手机号：1" in reasons
    assert {r.customer.name for r in preview.samples} == {"甲", "乙"}  # only who receives it
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("messaging:new"), _form(action="send"))
    recipients = Recipient.objects.filter(campaign=Campaign.objects.get())
    sent = recipients.exclude(status=RecipientStatus.SKIPPED)
    assert sent.count() == preview.receiving
    skipped = dict(
        recipients.filter(status=RecipientStatus.SKIPPED)
        .values_list("reason")
        .order_by()
        .annotate(n=Count("pk"))
    )
    assert skipped == preview.reach.skipped


def test_nobody_reachable_offers_no_send_button(org):
    for i in range(3):
        make_customer(org.sales, name=f"未问{i}", phones=(f"+86137000000{i:02d}",))
    response = client_for(org.sales).post(reverse("messaging:new"), _form(action="preview"))
    html = response.content.decode()
    assert 'id="preview-nobody"' in html and 'id="send-button"' not in html
    assert "未同意接收：3" in html


def test_a_service_message_needs_no_grant_only_no_withdrawal(org, book):
    reach = audience_reach(
        [c.pk for c in book.values()], channel="sms", purpose="incident", keep=10
    )
    assert reach.receiving == 3  # granted ×2 and never asked
    assert reach.skipped == {"withdrawn": 1, "no_address": 1}
    email = audience_reach([c.pk for c in book.values()], channel="email", purpose="marketing")
    assert email.receiving == 3 and email.skipped == {"withdrawn": 1, "no_consent": 1}


def test_the_split_reads_a_bounded_number_of_queries(org, django_assert_max_num_queries):
    ids = [consenting_customer(org.sales, name=f"客户{i}").pk for i in range(30)]
    with django_assert_max_num_queries(4):
        reach = audience_reach(ids, channel="sms", purpose="marketing", chunk=20)
    assert reach.receiving == 30 and reach.first == ids[:5]


def test_the_form_says_whose_customers_each_role_reaches(org, book):
    pooled = consenting_customer(None, name="公海客户", actor=org.admin)
    others = consenting_customer(org.west_sales, name="西区客户")
    teammate = consenting_customer(org.east_sales2, name="同组客户")
    expected = {
        "admin": ("包括公海中的客户", SendScope.ALL, 8),
        "manager": ("本团队（华东）", SendScope.TEAM, 6),
        "sales": ("只会发给你自己负责的客户", SendScope.OWN, 5),
    }
    for role, (words, scope, count) in expected.items():
        user = getattr(org, role)
        assert send_scope(user) == scope
        client = client_for(user)
        form = client.get(reverse("messaging:new")).content.decode()
        said = re.search(r'id="send-scope">(.*?)</p>', form, re.S).group(1)
        assert words in said, role
        preview = client.post(reverse("messaging:new"), _form(action="preview")).context["preview"]
        assert preview.count == count, role
        assert not Campaign.objects.exists()  # a preview writes nothing
    assert pooled and others and teammate
    assert send_scope(org.service) == send_scope(org.analyst) == SendScope.NONE


def test_the_api_preview_says_who_receives_it(org, book):
    api = api_client_for(org.sales)
    body = {
        "name": "x",
        "channel": "sms",
        "body": "{称呼}好",
        "audience": {"customer_ids": [c.pk for c in book.values()]},
        "preview": True,
    }
    preview = api.post("/api/v1/campaigns", body).json()
    assert (preview["count"], preview["recipients"], preview["skipped"]) == (5, 2, 3)
    assert preview["skipped_by_reason"] == {"withdrawn": 1, "no_consent": 1, "no_address": 1}
    assert preview["scope"] == "own" and len(preview["samples"]) == 2
    admin = api_client_for(org.admin).post("/api/v1/campaigns", body).json()
    assert admin["scope"] == "all" and admin["recipients"] == 2
