"""The contacts card and the product pages on a phone (375 px) and a laptop (1,280 px),
in Chinese and English: nothing scrolls sideways, and a contact is added, refused with
its errors in place, and made primary without leaving the customer page."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kehu.accounts.models import Role
from kehu.customers.models import Contact
from kehu.orders.catalog import category_create, product_save
from tests.browser.helpers import login
from tests.browser.test_screens_widths import OVERFLOW
from tests.factories import make_customer, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_contacts_and_products_fit_and_work(browser, live_server, language):
    boss = make_user(Role.ADMIN, username="boss", team=None)
    company = make_customer(boss, name="星河贸易有限公司", kind="company")
    tea = category_create(actor=boss, name="茶叶")
    product = product_save(
        actor=boss,
        data={"name": "明前龙井特级礼盒装", "sku": "TEA-0001", "price": Decimal("1288.00")},
        category=tea,
    )
    product_save(
        actor=boss,
        data={"name": "茶杯", "sku": "CUP-1", "price": Decimal("25.50"), "unit_cost": None},
        category=None,
    )
    for width in (375, 1280):
        Contact.objects.filter(customer=company).delete()
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 800})
        page = context.new_page()
        page.set_default_timeout(30_000)
        login(page, live_server.url, "boss")
        context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        page.goto(f"{live_server.url}/customers/{company.pk}/")
        card = page.locator("#contacts")
        card.locator("details > summary.btn-primary").click()
        form = card.locator("form.contact-form").last
        form.locator("input[name=name]").fill("")
        form.locator("input[name=phone]").fill("123")
        form.locator("button").click()
        page.wait_for_selector("#contacts .invalid-feedback")
        errors = page.inner_text("#contacts")
        assert ("不是有效的电话号码" in errors) or ("is not a valid phone number" in errors)
        form = page.locator("#contacts form.contact-form").last
        form.locator("input[name=name]").fill("王经理")
        form.locator("input[name=phone]").fill("138 1234 5678")
        form.locator("input[name=is_primary]").check()
        form.locator("button").click()
        page.wait_for_selector("#contacts .contact-row")
        form = page.locator("#contacts form.contact-form").last
        page.locator("#contacts details > summary.btn-primary").click()
        form.locator("input[name=name]").fill("李助理")
        form.locator("button").click()
        page.wait_for_selector("#contacts .contact-row >> nth=1")
        page.locator("#contacts .contact-row").nth(1).locator(
            "form button.btn-outline-primary"
        ).click()
        page.wait_for_selector("#contacts .contact-row:first-child strong:text-is('李助理')")
        assert "李助理" in page.inner_text("#history")  # the history card followed
        primary = Contact.objects.get(customer=company, is_primary=True)
        assert primary.name == "李助理" and primary.phone == ""
        measured = page.evaluate(OVERFLOW)
        assert measured["scroll"] <= 0 and not measured["wide"], ("customer", width, measured)
        page.screenshot(path=f"/tmp/kehu-contacts-{language}-{width}.png", full_page=True)
        for path in (
            "/orders/products/",
            "/orders/products/new/",
            f"/orders/products/{product.pk}/",
            "/orders/products/categories/",
        ):
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, path
            measured = page.evaluate(OVERFLOW)
            assert measured["scroll"] <= 0 and not measured["wide"], (path, width, measured)
            name = path.strip("/").replace("/", "-")
            page.screenshot(path=f"/tmp/kehu-{name}-{language}-{width}.png", full_page=True)
        context.close()
