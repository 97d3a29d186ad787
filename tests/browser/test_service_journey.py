"""Service in a browser: a 客服 logs a complaint from the customer page, moves it
through the workflow to closed and sees it on the timeline; the customer answers a
satisfaction survey on a phone through the link they were sent."""

from __future__ import annotations

import pytest

from kehu.accounts.models import Role
from kehu.complaints.models import Complaint
from kehu.surveys.models import Channel, QuestionKind, Satisfaction
from kehu.surveys.services import invitations_send, survey_save
from tests.browser.helpers import login
from tests.factories import make_customer, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_service_logs_handles_and_closes_a_complaint(page, live_server):
    make_user(Role.SERVICE, username="kefu")
    boss = make_user(Role.ADMIN, username="boss")
    customer = make_customer(None, name="王小丫", actor=boss)
    url = live_server.url
    login(page, url, "kefu")

    page.goto(f"{url}/customers/{customer.pk}/")
    page.click("#complaints >> text=登记投诉")
    page.select_option("#id_channel", "phone")
    page.select_option("#id_severity", "high")
    page.fill("#id_description", "收到的保温杯漏水。")
    page.click("button:has-text('登记')")
    page.wait_for_selector("#workflow")
    complaint = Complaint.objects.get(customer=customer)

    def move(action: str, **fields: str) -> None:
        """Open a workflow step, fill it, confirm, and wait for the htmx swap."""
        page.click(f"#workflow summary:text-is('{action}')")
        for name, value in fields.items():
            page.fill(f"#workflow details[open] [name={name}]", value)
        page.click(f"#workflow button:has-text('确认：{action}')")
        page.wait_for_function(
            "label => !document.querySelector('#workflow').innerText.includes('确认：' + label)",
            arg=action,
        )

    move("登记")
    move("开始处理")
    move("已反馈客户", feedback="已补发新杯并致歉。")
    move("关闭投诉", customer_response="客户满意。")
    page.wait_for_selector("#workflow summary:text-is('重新打开')")
    complaint.refresh_from_db()
    assert complaint.status == "closed" and complaint.feedback == "已补发新杯并致歉。"

    page.goto(f"{url}/customers/{customer.pk}/")
    page.wait_for_selector("#timeline >> text=投诉")
    page.screenshot(path="/tmp/kehu-complaint.png", full_page=True)


def test_customer_answers_a_survey_on_a_phone(browser, live_server):
    admin = make_user(Role.ADMIN, username="boss")
    customer = make_customer(None, name="李四", actor=admin)
    survey = survey_save(
        actor=admin,
        data={"name": "服务满意度回访"},
        questions=[{"kind": QuestionKind.CSAT, "text": "您对本次服务满意吗？"}],
    )
    sent = invitations_send(actor=admin, survey=survey, customers=[customer], channel=Channel.LINK)
    [link] = sent.links.values()
    path = link[link.index("/surveys/") :]
    phone = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 740})
    page = phone.new_page()
    try:
        page.goto(f"{live_server.url}{path}")
        page.click("text=提交")  # nothing chosen: the question is marked, nothing recorded
        page.wait_for_selector("text=请检查标红的题目。")
        assert not Satisfaction.objects.exists()
        page.click("label:text-is('5')")
        page.click("text=提交")
        page.wait_for_selector("text=感谢您的反馈！")
        assert Satisfaction.objects.get(customer=customer).csat == 5
        page.goto(f"{live_server.url}{path}")  # the link works once
        assert "已经提交过了" in page.inner_text("body")
    finally:
        phone.close()
