"""On a phone (375 px): my work shows a page per section and finishes two ticked tasks
from the bulk bar without a reload; the care agenda shows its groups. Neither page
scrolls sideways."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kehu.accounts.models import Role
from kehu.care.models import RuleKind
from kehu.care.services import agenda_build
from kehu.followups.models import Task, TaskStatus
from tests.browser.helpers import login
from tests.care.factories import rule
from tests.factories import make_customer, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_my_work_and_the_care_agenda_on_a_phone(phone, live_server):
    seller = make_user(Role.SALES, username="xiaowang")
    customer = make_customer(
        seller, name="一位名字相当长的老客户有限公司", birthday=dt.date(1990, 1, 1)
    )
    due = timezone.now() - dt.timedelta(days=2)
    Task.objects.bulk_create(
        Task(
            customer=customer,
            assignee=seller,
            created_by=seller,
            kind="call",
            title=f"电话回访第{i}次，确认上次报价与交付时间",
            due_at=due + dt.timedelta(minutes=i),
        )
        for i in range(45)
    )
    url = live_server.url
    login(phone, url, "xiaowang")

    phone.goto(f"{url}/work/")
    assert phone.locator("#group-overdue input[name=tasks]").count() == 20
    assert phone.evaluate(SIDEWAYS) <= 0
    first, second = Task.objects.order_by("id").values_list("pk", flat=True)[:2]
    phone.check(f"#task-{first}")
    phone.check(f"#task-{second}")
    phone.click("#bulk-form button[value=done]")
    phone.wait_for_selector("#bulk-report")
    assert "已处理 2 项" in phone.inner_text("#bulk-report")
    assert Task.objects.filter(status=TaskStatus.DONE).count() == 2
    phone.click("#group-overdue a:has-text('下一页')")
    phone.wait_for_function(
        "() => document.querySelector('#group-overdue').innerText.includes('2 / 3')"
    )
    assert phone.evaluate(SIDEWAYS) <= 0
    phone.screenshot(path="/tmp/kehu-work-375.png")

    rule(RuleKind.BIRTHDAY, name="生日")
    today = timezone.localdate()
    customer.birthday = today.replace(year=1990)
    customer.save(update_fields=["birthday"])
    agenda_build(day=today)
    phone.goto(f"{url}/care/")
    phone.wait_for_selector("#care-birthday")
    assert phone.evaluate(SIDEWAYS) <= 0
    phone.screenshot(path="/tmp/kehu-care-375.png", full_page=True)
