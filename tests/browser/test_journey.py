"""A salesperson's first minutes: log in, create, find by pinyin initials, edit, see history."""

from __future__ import annotations

import pytest

from kehu.accounts.models import Role
from kehu.customers.models import Customer
from tests.factories import make_customer, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_find_edit_and_see_history(page, live_server):
    make_user(Role.SALES, username="lilei")
    make_customer(None, name="张三", actor=make_user(Role.ADMIN, username="boss"))
    url = live_server.url

    page.goto(f"{url}/customers/")
    page.fill("#id_username", "lilei")
    page.fill("#id_password", "pw-Kehu-2026")
    page.click("button:has-text('登录')")
    page.wait_for_url(f"{url}/customers/")

    page.click("text=新建客户")
    page.fill("#id_name", "诸葛明亮")
    page.fill("#id_phones", "138 1234 5678")
    page.fill("#id_city", "杭州市")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=客户已创建")
    assert Customer.objects.get(name="诸葛明亮").phones.get().number == "+8613812345678"

    page.goto(f"{url}/customers/")
    page.fill("#q", "zgml")  # pinyin initials, search-as-you-type through htmx
    # A function, not an expression: Playwright evaluates an expression with eval(), which
    # the Content-Security-Policy refuses.
    page.wait_for_function(
        "() => document.querySelector('#results').innerText.includes('共 1 个客户')"
    )
    assert "张三" not in page.inner_text("#results")
    page.click("#results >> text=诸葛明亮")

    page.click("text=编辑")
    page.fill("#id_city", "宁波市")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=已保存")
    history = page.inner_text("#history")
    assert "杭州市" in history and "宁波市" in history
    page.screenshot(path="/tmp/kehu-journey.png", full_page=True)
