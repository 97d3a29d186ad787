"""Keeping a customer in a browser (issue 21, "Tests and access"): a customer's churn
risk crosses the playbook's threshold, the nightly pass starts the playbook (its
coupon step gives the coupon), the salesperson does the call step in 我的工作 and tells
the customer about the coupon, the customer buys with it, the run ends "saved" — from
the paid order, never typed in — and the playbook's report counts it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kehu.accounts.models import Role
from kehu.coupons.models import Coupon
from kehu.followups.models import Task, TaskStatus
from kehu.orders.models import Order, Product
from kehu.retention.models import EndReason, Outcome, PlaybookRun, StepKind, Trigger
from kehu.retention.tasks import retention_pass
from tests.browser.helpers import login
from tests.coupons.conftest import make_template
from tests.factories import TeamFactory, make_customer, make_user
from tests.retention.conftest import make_playbook, score

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_models"),
]


def test_a_customer_at_risk_is_kept_with_a_call_and_a_coupon(browser, live_server):
    url = live_server.url
    team = TeamFactory(name="华东")
    manager = make_user(Role.MANAGER, team=team, username="jingli")
    seller = make_user(Role.SALES, team=team, username="xiaozhang")
    customer = make_customer(seller, name="林老板", phones=("13812345678",))
    calm = make_customer(seller, name="稳定客户")
    coupon = make_template(name="回归礼券")  # 20 off orders of 100 or more
    Product.objects.create(name="明前龙井", sku="TEA-9", price=Decimal("150.00"))
    playbook = make_playbook(
        manager,
        name="高风险挽留",
        trigger=Trigger.CHURN_RISK,
        risk_threshold=0.7,
        holdout_percent=0,
        steps=[
            {"kind": StepKind.CALL, "title": "了解原因", "due_days": 2},
            {"kind": StepKind.COUPON, "coupon_id": coupon.pk, "due_days": 2},
        ],
    )

    # The night's scoring: the risk crosses the threshold for one of the two; the
    # nightly retention pass starts the playbook for that one and gives the coupon.
    score([customer, calm], risks={customer.pk: 0.82, calm.pk: 0.3})
    assert retention_pass()["started"] == 1
    run = PlaybookRun.objects.get()
    assert run.customer == customer and run.outcome == Outcome.OPEN and not run.held_out
    given = Coupon.objects.get(customer=customer, template=coupon)
    assert given.redeemed_at is None
    tasks = Task.objects.filter(customer=customer, assignee=seller, status=TaskStatus.OPEN)
    assert tasks.count() == 2

    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, url, "xiaozhang")
        # 我的工作: the call step, done with its result; the coupon step, told.
        page.goto(f"{url}/work/")
        call = page.locator("#work li").filter(has_text="挽留（高风险挽留）：电话 林老板")
        call.wait_for()
        assert "了解原因" in call.inner_text()
        call.locator("input[name=result]").fill("嫌价格高，已告知回归礼券")
        call.locator("button:has-text('完成')").click()
        page.wait_for_selector("text=已更新回访任务。")
        gift = page.locator("#work li").filter(has_text="挽留（高风险挽留）：发放优惠券 林老板")
        gift.locator("input[name=result]").fill("已短信告知券码")
        gift.locator("button:has-text('完成')").click()
        page.wait_for_selector("text=已更新回访任务。")
        assert not tasks.filter(status=TaskStatus.OPEN).exists()
        assert page.locator("#work li").filter(has_text="林老板").count() == 0

        # The customer's page: the run open with the call done, the coupon not used.
        page.goto(f"{url}/customers/{customer.pk}/")
        card = page.locator("#retention")
        assert "高风险挽留" in card.inner_text() and "进行中" in card.inner_text()
        assert "✓ 电话" in card.inner_text()
        assert "嫌价格高，已告知回归礼券" in card.inner_text()
        coupons = page.inner_text("#coupons")
        assert given.code in coupons and "回归礼券" in coupons
        page.screenshot(path="/tmp/kehu-retention-customer-open.png", full_page=True)

        # The customer comes to buy with the coupon: a sale of 150 with its code.
        page.goto(f"{url}/orders/sale/new/?customer={customer.pk}")
        page.fill("#product-q", "TEA-9")
        page.click("#product-results button:has-text('明前龙井')")
        page.wait_for_selector("#sale-lines tr.sale-line")
        page.fill("#order-field-coupon_code", given.code)
        page.click("button:has-text('保存订单')")
        page.wait_for_selector("text=订单已保存。")
        order = Order.objects.get(customer=customer)
        assert order.total == Decimal("150.00")
        given.refresh_from_db()
        assert given.order == order and given.redeemed_at is not None
        assert given.discount == Decimal("20.00")

        # The run ended saved, from the paid order (the order_recorded event).
        run.refresh_from_db()
        assert (run.outcome, run.end_reason) == (Outcome.SAVED, EndReason.ORDER)
        page.goto(f"{url}/customers/{customer.pk}/")
        assert "已挽回" in page.inner_text("#retention")
        assert "窗口内有已支付订单" in page.inner_text("#retention")
        assert "已使用" in page.inner_text("#coupons")
    finally:
        context.close()

    # The manager's report: one saved of one treated, 100 %.
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, url, "jingli")
        page.goto(f"{url}/retention/{playbook.pk}/")
        rate = page.inner_text("#save-rate")
        assert "100" in rate and "(1/1)" in rate, rate
        assert "回归礼券" in page.inner_text("#playbook-steps")
        # Grouped by owner, and the select says so.
        assert page.input_value("#report-by select[name=by]") == "owner"
        assert "xiaozhang" in page.inner_text("#table-report")
        page.screenshot(path="/tmp/kehu-retention-report.png", full_page=True)
    finally:
        context.close()
