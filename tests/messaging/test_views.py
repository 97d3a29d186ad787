"""Pages: the group send (preview, then send), progress, templates, consent card,
the public unsubscribe page — and the roles that must be refused."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kehu.messaging.links import unsubscribe_token
from kehu.messaging.models import (
    Campaign,
    Channel,
    Consent,
    ConsentEvent,
    ConsentSource,
    ConsentStatus,
    MessageTemplate,
    Recipient,
)
from kehu.messaging.services import message_to_customers
from tests.factories import make_customer
from tests.messaging.factories import consenting_customer

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(**changes):
    return {
        "name": "国庆问候",
        "channel": "sms",
        "purpose": "marketing",
        "body": "{称呼}国庆快乐",
        **changes,
    }


def test_preview_shows_count_and_rendered_text_then_send(org, django_capture_on_commit_callbacks):
    a = consenting_customer(org.sales, name="王小明", gender="male")
    consenting_customer(org.sales, name="李四", status=ConsentStatus.WITHDRAWN)
    consenting_customer(org.east_sales2, name="别人的")
    client = client_for(org.sales)
    preview = client.post(reverse("messaging:new"), _form(action="preview"))
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "王先生国庆快乐 回T退订" in html
    assert "共 2 位客户" in html  # own customers only
    assert "别人的" not in html
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(reverse("messaging:new"), _form(action="send"))
    campaign = Campaign.objects.get()
    assert sent.status_code == 302 and sent.url == reverse("messaging:detail", args=[campaign.pk])
    page = client.get(sent.url).content.decode()
    assert "已退订" in page and a.name in page
    progress = client.get(sent.url + "?part=progress", headers={"HX-Request": "true"})
    assert "100%" in progress.content.decode() and "<html" not in progress.content.decode()


def test_unknown_placeholder_is_a_field_error(org):
    consenting_customer(org.sales)
    response = client_for(org.sales).post(
        reverse("messaging:new"), _form(body="{称呼}您好{优惠券}", action="preview")
    )
    assert response.status_code == 422
    assert "未知的占位符：{优惠券}" in response.content.decode()
    assert not Campaign.objects.exists()


def test_template_save_validates_placeholders(org):
    client = client_for(org.manager)
    bad = client.post(
        reverse("messaging:template_new"),
        {"name": "春节", "channel": "email", "subject": "{姓名}新年好", "body": "{称呼}{红包}"},
    )
    assert bad.status_code == 422 and "{红包}" in bad.content.decode()
    good = client.post(
        reverse("messaging:template_new"),
        {"name": "春节", "channel": "email", "subject": "{姓名}新年好", "body": "{称呼}新春快乐"},
    )
    assert good.status_code == 302 and MessageTemplate.objects.get().name == "春节"


@pytest.mark.parametrize("role", ["analyst", "service"])
def test_roles_that_may_not_group_send_are_refused(org, role):
    client = client_for(getattr(org, role))
    assert client.get(reverse("messaging:new")).status_code == 403
    assert client.post(reverse("messaging:new"), _form(action="send")).status_code == 403
    assert client.get(reverse("messaging:templates")).status_code == 403
    assert not Campaign.objects.exists()


def test_a_campaign_of_someone_else_is_404(org):
    customer = consenting_customer(org.sales)
    campaign = message_to_customers(
        actor=org.sales, customer_ids=[customer.pk], channel="sms", body="hi", name="x"
    )
    url = reverse("messaging:detail", args=[campaign.pk])
    assert client_for(org.sales).get(url).status_code == 200
    assert client_for(org.manager).get(url).status_code == 200  # the team's manager
    for outsider in (org.east_sales2, org.west_manager, org.analyst, org.service):
        assert client_for(outsider).get(url).status_code == 404
    assert (
        client_for(org.east_sales2)
        .post(reverse("messaging:cancel", args=[campaign.pk]))
        .status_code
        == 404
    )


def test_consent_card_grant_and_withdraw(org):
    customer = make_customer(org.sales, name="甲", phones=("+8613800138000",))
    client = client_for(org.sales)
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "接收消息同意" in page and "未询问" in page
    url = reverse("messaging:consent", args=[customer.pk])
    granted = client.post(
        url, {"channel": "sms", "status": "granted"}, headers={"HX-Request": "true"}
    )
    assert granted.status_code == 200 and "已同意" in granted.content.decode()
    consent = Consent.objects.get(customer=customer, channel="sms")
    stale = client.post(url, {"channel": "sms", "status": "withdrawn", "version": 99})
    assert stale.status_code == 409
    client.post(url, {"channel": "sms", "status": "withdrawn", "version": consent.version})
    history = list(
        ConsentEvent.objects.filter(customer=customer).values_list("status", "source", "actor")
    )
    assert history == [("withdrawn", "form", org.sales.pk), ("granted", "form", org.sales.pk)]


@pytest.mark.parametrize("role", ["analyst", "east_sales2"])
def test_consent_change_refused(org, role):
    customer = make_customer(org.sales, name="甲")
    response = client_for(getattr(org, role)).post(
        reverse("messaging:consent", args=[customer.pk]), {"channel": "sms", "status": "granted"}
    )
    assert response.status_code in (403, 404)
    assert not Consent.objects.exists()


def test_unsubscribe_link_withdraws_without_login(org):
    customer = consenting_customer(org.sales)
    url = reverse("messaging:unsubscribe", args=[unsubscribe_token(customer.pk, Channel.EMAIL)])
    anonymous = Client(enforce_csrf_checks=True)
    assert "确认退订" in anonymous.get(url).content.decode()
    assert Consent.objects.get(customer=customer, channel="email").status == "granted"
    done = anonymous.post(url)
    assert done.status_code == 200 and "已退订" in done.content.decode()
    consent = Consent.objects.get(customer=customer, channel="email")
    assert (consent.status, consent.source, consent.actor) == (
        "withdrawn",
        ConsentSource.UNSUBSCRIBE,
        None,
    )
    assert Consent.objects.get(customer=customer, channel="sms").status == "granted"
    # Later sends skip them.
    campaign = message_to_customers(
        actor=None, customer_ids=[customer.pk], channel="email", subject="s", body="b", name="x"
    )
    assert Recipient.objects.get(campaign=campaign).reason == "withdrawn"


def test_a_tampered_unsubscribe_link_changes_nothing(org):
    customer = consenting_customer(org.sales)
    token = unsubscribe_token(customer.pk, Channel.EMAIL)
    response = Client().post(reverse("messaging:unsubscribe", args=[token[:-2] + "xx"]))
    assert response.status_code == 404 and "链接无效" in response.content.decode()
    assert Consent.objects.get(customer=customer, channel="email").status == "granted"


def test_timeline_shows_messages(org):
    from kehu.customers.timeline import customer_timeline
    from kehu.messaging.sending import recipients_send

    customer = consenting_customer(org.sales)
    message_to_customers(
        actor=None,
        customer_ids=[customer.pk],
        channel="sms",
        body="中秋快乐",
        name="中秋",
        purpose="care",
    )
    recipients_send()
    events = customer_timeline(customer, kinds=["message"]).events
    assert [e.kind for e in events] == ["message"] and "中秋快乐" in events[0].detail


def test_campaign_list_pages_and_empty_state(org):
    client = client_for(org.sales)
    assert "还没有群发" in client.get(reverse("messaging:campaigns")).content.decode()
