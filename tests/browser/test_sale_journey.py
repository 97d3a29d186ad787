"""Sales by hand in a browser: a shop assistant records a quick sale on a 375-px
phone screen — the customer by the last digits of the phone, a product, the amount,
three taps — and the customer's lifecycle stage moves."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client

from kehu.accounts.models import Role
from kehu.lifecycle.models import CustomerStage
from kehu.orders.models import Order, Product
from tests.browser.helpers import login
from tests.factories import make_customer, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_models"),
]


def stage_name(customer) -> str | None:
    row = CustomerStage.objects.filter(customer=customer).select_related("stage").first()
    return row.stage.name if row else None


def test_shop_assistant_records_a_quick_sale_on_a_phone(browser, live_server):
    assistant = make_user(Role.SALES, username="dianyuan")
    customer = make_customer(assistant, name="王小丫", phones=("13812345678",))
    Product.objects.create(name="龙井", sku="TEA-1", price=Decimal("100.00"), unit_cost="60.00")
    before = stage_name(customer)
    url = live_server.url
    phone = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 740})
    page = phone.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, url, "dianyuan")
        page.goto(f"{url}/orders/quick/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.fill("#quick-phone", "5678")
        page.click("#quick-buyers button:has-text('王小丫')")  # tap 1
        page.wait_for_selector("#quick-chosen")
        page.click("#quick-picks button:has-text('龙井')")  # tap 2
        page.wait_for_selector("#quick-product")
        assert page.input_value("#id_amount") == "100.00"
        box = page.locator("#quick-submit").bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 300
        page.click("#quick-submit")  # tap 3
        page.wait_for_selector("#quick-done")
        assert "王小丫" in page.inner_text("#quick-done")
        order = Order.objects.get(customer=customer)
        assert order.total == Decimal("100.00") and order.lines.count() == 1
        after = stage_name(customer)
        assert after is not None and after != before
        page.click("#quick-done >> text=查看客户")
        page.wait_for_selector(f"text={after}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.screenshot(path="/tmp/kehu-quick-sale.png", full_page=True)
    finally:
        phone.close()


CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")


@pytest.mark.parametrize("width", [375, 1280])
def test_sale_form_and_quick_sale_fit_and_read_in_english(browser, live_server, width):
    seller = make_user(Role.SALES, username="seller")
    customer = make_customer(seller, name="Wang Li", phones=("13812345678",))
    Product.objects.create(name="Green tea", sku="TEA-2", price=Decimal("20.00"))
    context = browser.new_context(locale="en-US", viewport={"width": width, "height": 800})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        client = Client()
        client.force_login(seller)
        cookie = client.cookies["sessionid"].value
        context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
        page.goto(f"{live_server.url}/orders/sale/new/?customer={customer.pk}")
        page.fill("#product-q", "tea-2")
        page.click("#product-results button:has-text('Green tea')")
        page.wait_for_selector("#sale-lines tr.sale-line")
        page.click("#product-results button:has-text('Green tea')")
        page.locator("#sale-lines tr").nth(1).wait_for()
        page.click("#sale-lines tr:last-child button")  # removed again
        page.locator("#sale-lines tr").nth(1).wait_for(state="detached")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        text = page.inner_text("body").replace("简体中文", "").replace("客户 Kehu", "")
        assert not CJK.search(text), [line for line in text.splitlines() if CJK.search(line)]
        page.click("button:has-text('Save order')")
        page.wait_for_selector("text=Order saved.")
        assert Order.objects.get(customer=customer).total == Decimal("20.00")
        page.goto(f"{live_server.url}/orders/quick/")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        text = page.inner_text("body").replace("简体中文", "").replace("客户 Kehu", "")
        assert not CJK.search(text), [line for line in text.splitlines() if CJK.search(line)]
    finally:
        context.close()
