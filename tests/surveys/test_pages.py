"""Sending from the customer page, the segment page, invitations: access per role."""

from __future__ import annotations

import pytest
from django.test import Client

from kehu.surveys.models import Invitation, Response
from kehu.surveys.services import invitations_send, response_record
from tests.factories import make_customer
from tests.surveys.factories import answers_for, make_survey, send_link

pytestmark = pytest.mark.django_db


def _web(user) -> Client:
    web = Client(HTTP_HOST="localhost")
    web.force_login(user)
    return web


def test_card_on_the_customer_page_and_send_one(org):
    survey = make_survey(org.admin)
    customer = make_customer(org.sales, name="卡片客户")
    web = _web(org.sales)
    page = web.get(f"/customers/{customer.pk}/").content.decode()
    assert "发送调查" in page and "还没有调查结果" in page
    sent = web.post(
        f"/surveys/customer/{customer.pk}/send/",
        {"survey": survey.pk, "channel": "link", "language": "zh-hans"},
    )
    invitation = Invitation.objects.get()
    assert sent.status_code == 302 and sent["Location"] == f"/surveys/invitations/{invitation.pk}/"
    shown = web.get(sent["Location"]).content.decode()
    assert "/surveys/a/" in shown  # the link, for WeChat
    assert "/surveys/a/" not in web.get(sent["Location"]).content.decode()  # shown once
    again = web.post(
        f"/surveys/customer/{customer.pk}/send/",
        {"survey": survey.pk, "channel": "link", "language": "zh-hans"},
    )
    assert again.status_code == 302 and Invitation.objects.count() == 1  # one open at a time


def test_analyst_sees_results_but_cannot_send(org):
    survey = make_survey(org.admin)
    customer = make_customer(org.sales)
    _inv, token = send_link(org.sales, survey, customer)
    response_record(raw_token=token, values=answers_for(survey, csat=5))
    web = _web(org.analyst)
    page = web.get(f"/customers/{customer.pk}/").content.decode()
    assert "5/5" in page and "发送调查" not in page
    refused = web.post(
        f"/surveys/customer/{customer.pk}/send/",
        {"survey": survey.pk, "channel": "link", "language": "zh-hans"},
    )
    assert refused.status_code == 403
    assert web.get(f"/surveys/{survey.pk}/send/").status_code == 403


def test_invitations_only_of_customers_the_user_sees(org):
    survey = make_survey(org.admin)
    mine = make_customer(org.sales, name="我的")
    theirs = make_customer(org.west_sales, name="别人的")
    invitation, _t = send_link(org.admin, survey, theirs)
    send_link(org.admin, survey, mine)
    web = _web(org.sales)
    listing = web.get(f"/surveys/{survey.pk}/invitations/").content.decode()
    assert "我的" in listing and "别人的" not in listing
    assert web.get(f"/surveys/invitations/{invitation.pk}/").status_code == 404
    assert web.post(f"/surveys/invitations/{invitation.pk}/").status_code == 404
    assert (
        web.post(f"/surveys/customer/{theirs.pk}/send/", {"survey": survey.pk}).status_code == 404
    )
    response_record(raw_token=_t, values=answers_for(survey))
    response = Response.objects.get(invitation=invitation)
    assert web.get(f"/surveys/responses/{response.pk}/").status_code == 404
    assert _web(org.west_sales).get(f"/surveys/responses/{response.pk}/").status_code == 302


def test_sales_cannot_send_to_other_peoples_customers(org):
    survey = make_survey(org.admin)
    other = make_customer(org.east_sales2, name="同事的")
    result = invitations_send(actor=org.sales, survey=survey, customers=[other], channel="link")
    assert result.created == 0 and result.skipped == {"not_allowed": 1}


def test_segment_page_previews_and_sends_to_visible_customers(org, monkeypatch):
    survey = make_survey(org.admin)
    make_customer(org.sales, name="甲", city="杭州")
    make_customer(org.sales, name="乙", city="杭州")
    make_customer(org.west_sales, name="丙", city="杭州")
    calls = []
    monkeypatch.setattr(
        "kehu.messaging.services.message_to_customers", lambda **kw: calls.append(kw) or "c"
    )
    web = _web(org.sales)
    query = {"channel": "sms", "language": "zh-hans", "city": "杭州"}
    preview = web.get(f"/surveys/{survey.pk}/send/", query)
    assert preview.context["preview"]["count"] == 2
    sent = web.post(f"/surveys/{survey.pk}/send/", query)
    assert sent.status_code == 302 and Invitation.objects.count() == 2
    [call] = calls
    assert len(call["customer_ids"]) == 2 and call["actor"] == org.sales


def test_list_and_triggers_pages(org):
    survey = make_survey(org.admin)
    web = _web(org.manager)
    assert survey.name in web.get("/surveys/").content.decode()
    added = web.post(
        f"/surveys/{survey.pk}/triggers/",
        {
            "kind": "order_paid",
            "delay_days": "7",
            "channel": "sms",
            "language": "zh-hans",
            "is_active": "on",
        },
    )
    assert added.status_code == 302
    trigger = survey.triggers.get()
    web.post(f"/surveys/{survey.pk}/triggers/{trigger.pk}/toggle/")
    trigger.refresh_from_db()
    assert trigger.delay_days == 7 and not trigger.is_active
    bad = web.post(f"/surveys/{survey.pk}/triggers/", {"kind": "x", "delay_days": "-1"})
    assert bad.status_code == 422
