"""Recording orders: totals and costs, idempotency, updates with history, batches with
bad items, refunds, the customer's last deal, merges."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.customers.merge import customer_merge, merge_undo
from kehu.customers.models import Customer, PoolPolicy
from kehu.customers.ownership import pool_policy, pool_reclaim, reclaim_candidates
from kehu.orders.models import Order, OrderLine, OrderRevision, OrderStatus, Refund
from kehu.orders.selectors import order_summary, orders_for_customer
from kehu.orders.services import (
    LINE_COLUMNS,
    ORDER_COLUMNS,
    OrderData,
    OrderNotFound,
    Outcome,
    order_upsert,
    orders_ingest,
    product_update,
    refund_record,
)
from tests.factories import make_customer
from tests.orders.conftest import WHEN, line, order_data

pytestmark = pytest.mark.django_db


def field_errors(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def nothing_written() -> bool:
    return not Order.objects.exists() and not OrderLine.objects.exists()


# --- totals, costs, profit ------------------------------------------------------------------


def test_total_is_the_sum_of_lines_and_cost_known_when_every_line_has_one(org, book, products):
    order, outcome = order_upsert(
        actor=org.sales,
        data=order_data(book["own"], lines=[line(products["tea"], "3", discount="15.00")]),
    )
    assert outcome == Outcome.CREATED
    assert order.total == Decimal("285.00")  # 3 × 100 − 15
    assert order.cost == Decimal("180.00")  # 3 × 60, copied from the product
    assert order.gross_profit == Decimal("105.00")
    assert order.status == OrderStatus.PAID
    assert order.currency == "CNY"
    assert order.ordered_at == WHEN


def test_a_line_without_cost_makes_profit_unknown_not_zero(org, book, products):
    order, _ = order_upsert(
        actor=org.sales,
        data=order_data(book["own"], lines=[line(products["tea"]), line(products["cup"], "2")]),
    )
    assert order.total == Decimal("151.00")
    assert order.cost is None
    assert order.gross_profit is None


def test_the_unit_cost_is_copied_at_the_time(org, book, products):
    order, _ = order_upsert(
        actor=org.sales, data=order_data(book["own"], lines=[line(products["tea"])])
    )
    product_update(actor=org.admin, product=products["tea"], data={"unit_cost": Decimal("99.00")})
    order.refresh_from_db()
    assert order.cost == Decimal("60.00")
    assert order.lines.get().unit_cost == Decimal("60.00")


def test_lines_by_sku_with_their_own_price_and_cost(org, book, products):
    order, _ = order_upsert(
        actor=org.sales,
        data=order_data(
            book["own"],
            lines=[line(sku="CUP-1", quantity="0.5", unit_price="19.99", unit_cost="5.00")],
        ),
    )
    assert order.total == Decimal("10.00")  # 9.995 rounds half up
    assert order.cost == Decimal("2.50")


def test_an_order_without_lines_counts_its_total_and_its_profit_is_unknown(org, book):
    order, _ = order_upsert(actor=org.sales, data=order_data(book["own"], total="88.80"))
    assert (order.total, order.cost, order.gross_profit) == (Decimal("88.80"), None, None)
    assert order.lines.count() == 0


def test_an_order_without_lines_may_bring_its_cost(org, book):
    order, _ = order_upsert(
        actor=org.sales, data=order_data(book["own"], total="88.80", cost="50.00")
    )
    assert order.gross_profit == Decimal("38.80")


# --- bad input: clear messages, nothing written -----------------------------------------------


@pytest.mark.parametrize("quantity", ["-1", "0"])
def test_negative_or_zero_quantity_is_refused(org, book, products, quantity):
    with pytest.raises(ValidationError) as excinfo:
        order_upsert(
            actor=org.sales, data=order_data(book["own"], lines=[line(products["tea"], quantity)])
        )
    assert field_errors(excinfo) == {"lines.0.quantity": ["数量必须大于 0。"]}
    assert nothing_written()


def test_unknown_product_is_refused(org, book, products):
    with pytest.raises(ValidationError) as excinfo:
        order_upsert(
            actor=org.sales,
            data=order_data(
                book["own"],
                lines=[
                    line(products["tea"]),
                    line(sku="NOPE"),
                    line(quantity="1", product_id=10**9),
                ],
            ),
        )
    assert field_errors(excinfo) == {
        "lines.1.sku": ["没有这个产品。"],
        "lines.2.product_id": ["没有这个产品。"],
    }
    assert nothing_written()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"total": "-1.00", "lines": []}, "total", "金额不能为负数。"),
        ({"total": "1.005", "lines": []}, "total", "金额最多两位小数。"),
        ({"total": "1e20", "lines": []}, "total", "数值过大。"),
        ({"lines": []}, "total", "没有明细时必须填写订单金额 total。"),
        ({"total": "1.00"}, "total", "与明细合计 ¥100.00 不符。"),
        ({"cost": "1.00"}, "cost", "有明细时成本按明细计算，请在明细中填写 unit_cost。"),
        ({"status": "refunded"}, "status", None),
        ({"channel": "telepathy"}, "channel", "未知的渠道。"),
        ({"currency": "rmb"}, "currency", "币种应为三个大写字母，例如 CNY。"),
        ({"external_id": ""}, "external_id", "必须填写外部编号。"),
        ({"ordered_at": dt.datetime(1800, 1, 1)}, "ordered_at", "时间应在 1900 年至 2100 年之间。"),
        ({"ordered_at": "2025-13-01"}, "ordered_at", None),
        ({"customer_external_id": "C-1"}, "customer_id", None),
    ],
)
def test_bad_orders_are_refused_with_a_message(org, book, products, changes, field, message):
    values = {"lines": [line(products["tea"])], **changes}
    with pytest.raises(ValidationError) as excinfo:
        order_upsert(actor=org.sales, data=order_data(book["own"], **values))
    errors = field_errors(excinfo)
    assert list(errors) == [field]
    if message:
        assert errors[field] == [message]
    assert nothing_written()


def test_discount_larger_than_the_line_is_refused(org, book, products):
    with pytest.raises(ValidationError) as excinfo:
        order_upsert(
            actor=org.sales,
            data=order_data(book["own"], lines=[line(products["tea"], discount="100.01")]),
        )
    assert field_errors(excinfo) == {"lines.0.discount": ["折扣不能超过该行金额 ¥100.00。"]}


def test_refund_statuses_cannot_be_pushed(org, book):
    with pytest.raises(ValidationError) as excinfo:
        order_upsert(actor=org.sales, data=order_data(book["own"], total="1.00", status="refunded"))
    assert "退款" in field_errors(excinfo)["status"][0]


# --- customers by Kehu id or by (source, external_id) ------------------------------------------


def test_customer_by_source_and_external_id(org, book):
    order, _ = order_upsert(
        actor=org.sales,
        data=order_data(customer_external_id="C-1", total="10.00"),
    )
    assert order.customer_id == book["own"].pk


def test_customer_external_id_is_looked_up_in_the_same_source(org, book):
    with pytest.raises(OrderNotFound) as excinfo:
        order_upsert(
            actor=org.sales,
            data=order_data(customer_external_id="C-1", total="10.00", source="erp"),
        )
    assert "erp" in excinfo.value.message and "C-1" in excinfo.value.message
    assert nothing_written()


def test_customer_by_external_id_of_a_customer_you_cannot_see_is_not_found(org, book):
    with pytest.raises(OrderNotFound):
        order_upsert(actor=org.sales, data=order_data(customer_external_id="C-3", total="1.00"))


def test_a_deleted_customer_takes_no_orders(org, book):
    from kehu.customers.services import customer_delete

    customer_delete(actor=org.sales, customer=book["own"])
    with pytest.raises(OrderNotFound):
        order_upsert(actor=org.sales, data=order_data(book["own"], total="1.00"))


# --- idempotency and updates ----------------------------------------------------------------


def test_the_same_order_twice_returns_the_first(org, book, products):
    data = order_data(book["own"], lines=[line(products["tea"], "2")])
    first, created = order_upsert(actor=org.sales, data=data)
    again, outcome = order_upsert(actor=org.sales, data=data)
    assert (created, outcome) == (Outcome.CREATED, Outcome.UNCHANGED)
    assert again.pk == first.pk and again.version == 1
    assert Order.objects.count() == 1 and OrderLine.objects.count() == 1
    assert not OrderRevision.objects.exists()


def test_the_same_order_written_differently_is_the_same(org, book, products):
    first, _ = order_upsert(
        actor=org.sales, data=order_data(book["own"], lines=[line(products["tea"], "2")])
    )
    again, outcome = order_upsert(
        actor=org.sales,
        data=order_data(
            customer_external_id="C-1",
            ordered_at=WHEN.astimezone(dt.UTC),
            lines=[line(products["tea"], "2.000", discount="0")],
        ),
    )
    assert outcome == Outcome.UNCHANGED and again.pk == first.pk and again.version == 1
    assert not OrderRevision.objects.exists()


def test_a_changed_order_updates_it_and_keeps_the_previous_content(org, book, products):
    first, _ = order_upsert(
        actor=org.sales, data=order_data(book["own"], lines=[line(products["tea"], "2")])
    )
    changed, outcome = order_upsert(
        actor=org.sales,
        data=order_data(
            book["own"], lines=[line(products["tea"], "3"), line(products["cup"])], channel="wechat"
        ),
    )
    assert outcome == Outcome.UPDATED
    assert changed.pk == first.pk and changed.version == 2
    assert changed.total == Decimal("325.50") and changed.cost is None
    assert changed.lines.count() == 2
    revision = OrderRevision.objects.get()
    assert revision.version == 1 and revision.changed_by == org.sales
    assert revision.content["total"] == "200.00"
    assert revision.content["channel"] == "other"
    assert revision.content["lines"][0]["quantity"] == "2.000"
    assert revision.changed_fields == ["channel", "cost", "lines", "total"]


def test_a_changed_order_may_move_to_another_writable_customer(org, book):
    order_upsert(actor=org.manager, data=order_data(book["own"], total="5.00"))
    moved, _ = order_upsert(actor=org.manager, data=order_data(book["other"], total="5.00"))
    assert moved.customer_id == book["other"].pk


def test_an_update_below_what_was_refunded_is_refused(org, book):
    order, _ = order_upsert(actor=org.sales, data=order_data(book["own"], total="100.00"))
    refund_record(actor=org.sales, order=order, amount=Decimal("60.00"), reason="破损")
    with pytest.raises(ValidationError) as excinfo:
        order_upsert(actor=org.sales, data=order_data(book["own"], total="50.00"))
    assert field_errors(excinfo) == {"total": ["订单金额不能小于已退款金额 ¥60.00。"]}
    order.refresh_from_db()
    assert order.total == Decimal("100.00") and order.version == 1
    assert not OrderRevision.objects.exists()


def test_an_update_keeps_refund_status(org, book):
    order, _ = order_upsert(actor=org.sales, data=order_data(book["own"], total="100.00"))
    refund_record(actor=org.sales, order=order, amount=Decimal("60.00"), reason="破损")
    updated, _ = order_upsert(actor=org.sales, data=order_data(book["own"], total="120.00"))
    assert updated.status == OrderStatus.PARTIALLY_REFUNDED
    assert updated.refunded_total == Decimal("60.00")


# --- batches ---------------------------------------------------------------------------------


def test_a_batch_keeps_the_good_orders_and_reports_the_bad_by_index(org, book, products):
    results = orders_ingest(
        actor=org.sales,
        items=[
            order_data(book["own"], "B-1", lines=[line(products["tea"])]),
            order_data(book["own"], "B-2", lines=[line(products["tea"], "-2")]),
            order_data(book["west"], "B-3", total="1.00"),  # not the salesperson's to see
            order_data(book["pool"], "B-4", total="1.00"),  # visible, but not theirs to write
            order_data(book["own"], "B-5", lines=[line(sku="NOPE")]),
            order_data(customer_external_id="C-1", external_id="B-6", total="9.00"),
        ],
    )
    assert [r.index for r in results] == [0, 1, 2, 3, 4, 5]
    assert [r.outcome for r in results] == ["created", None, None, None, None, "created"]
    assert [r.error.code if r.error else None for r in results] == [
        None,
        "invalid",
        "not_found",
        "forbidden",
        "invalid",
        None,
    ]
    assert results[1].error and results[1].error.errors == {
        "lines.0.quantity": ["数量必须大于 0。"]
    }
    assert set(Order.objects.values_list("external_id", flat=True)) == {"B-1", "B-6"}
    assert Order.objects.get(external_id="B-1").lines.count() == 1


def test_a_batch_resent_changes_nothing_and_an_edited_item_updates(org, book, products):
    items = [
        order_data(book["own"], f"R-{i}", lines=[line(products["tea"], str(i + 1))])
        for i in range(5)
    ]
    first = orders_ingest(actor=org.sales, items=items)
    items[2] = order_data(book["own"], "R-2", lines=[line(products["tea"], "10")])
    second = orders_ingest(actor=org.sales, items=items)
    assert [r.order_id for r in first] == [r.order_id for r in second]
    assert [r.outcome for r in second] == ["unchanged"] * 2 + ["updated"] + ["unchanged"] * 2
    assert Order.objects.count() == 5 and OrderLine.objects.count() == 5
    assert Order.objects.get(external_id="R-2").total == Decimal("1000.00")
    assert OrderRevision.objects.get().order.external_id == "R-2"


def test_the_same_key_twice_in_a_batch_applies_in_order(org, book):
    results = orders_ingest(
        actor=org.sales,
        items=[
            order_data(book["own"], "D-1", total="1.00"),
            order_data(book["own"], "D-1", total="2.00"),
            order_data(book["own"], "D-1", total="2.00"),
        ],
    )
    assert [r.outcome for r in results] == ["created", "updated", "unchanged"]
    assert len({r.order_id for r in results}) == 1
    assert Order.objects.get().total == Decimal("2.00")


def test_a_batch_is_limited(org, book):
    with pytest.raises(ValidationError):
        orders_ingest(
            actor=org.sales,
            items=[order_data(book["own"], f"L-{i}", total="1") for i in range(1001)],
        )


def test_a_batch_resolves_with_a_fixed_number_of_queries(
    org, book, products, django_assert_max_num_queries
):
    customers = [
        make_customer(org.sales, name=f"客户{i}", external_id=f"K-{i}", source="shop")
        for i in range(20)
    ]
    items = [
        order_data(
            customers[i] if i % 2 else None,
            f"Q-{i}",
            customer_external_id=None if i % 2 else f"K-{i}",
            lines=[line(products["tea"]), line(sku="CUP-1", quantity="2")],
        )
        for i in range(20)
    ]
    # 14 for the orders, 11 for the lifecycle engine re-evaluating the batch's customers,
    # 9 for loyalty's points (orders, earns so far, rules, members found, made and locked,
    # levels, the entries and the members written), and exits' for the customers the
    # batch placed straight into 退出 (their old orders): their exit records opened (reasons,
    # settings, open exits, the customers, the value run, revenue, last products, refunds,
    # one insert) and the won-back check, and retention's (open runs ended by the move or
    # the order, playbooks the stage starts) — none of it per customer.
    with django_assert_max_num_queries(50):
        results = orders_ingest(actor=org.sales, items=items)
    assert all(r.outcome == Outcome.CREATED for r in results)
    assert OrderLine.objects.count() == 40


# --- the customer's last deal ------------------------------------------------------------------


def test_the_pools_deal_rule_reads_the_last_purchase(org, book):
    """ "No deal for M days after claiming" counts paid orders, old or new, and not
    cancelled ones; the customer row is not rewritten by each order."""
    PoolPolicy.objects.create(followup_days=10_000, deal_days=90)
    customer = book["own"]
    now = WHEN + dt.timedelta(days=120)
    Customer.objects.filter(pk=customer.pk).update(claimed_at=WHEN - dt.timedelta(days=200))
    # Cancelled, and a paid one too old: the customer is due.
    order_upsert(
        actor=org.sales,
        data=order_data(customer, "C", total="1.00", ordered_at=WHEN, status="cancelled"),
    )
    order_upsert(
        actor=org.sales,
        data=order_data(customer, "A", total="1.00", ordered_at=WHEN - dt.timedelta(days=9)),
    )
    assert reclaim_candidates(now, pool_policy())["deal"] == [customer.pk]
    # A purchase 60 days before now keeps it; the order did not touch the customer row.
    orders_ingest(
        actor=org.sales,
        items=[order_data(customer, "B", total="1", ordered_at=now - dt.timedelta(days=60))],
    )
    assert reclaim_candidates(now, pool_policy())["deal"] == []
    assert Customer.objects.get(pk=customer.pk).version == 1
    assert pool_reclaim(now=now).returned == 0
    assert pool_reclaim(now=now + dt.timedelta(days=31)).returned == 1


# --- refunds ---------------------------------------------------------------------------------


def test_refunds_drive_the_status(org, book):
    order, _ = order_upsert(actor=org.sales, data=order_data(book["own"], total="100.00"))
    refund, created = refund_record(
        actor=org.sales, order=order, amount=Decimal("30.00"), reason="少发一件", kind="return"
    )
    assert created and refund.kind == "return"
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_REFUNDED
    assert order.net_revenue == Decimal("70.00")
    refund_record(actor=org.sales, order=order, amount=Decimal("70.00"), reason="全部退回")
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED and order.refundable == 0


def test_a_refund_larger_than_what_was_paid_is_refused(org, book):
    order, _ = order_upsert(actor=org.sales, data=order_data(book["own"], total="100.00"))
    refund_record(actor=org.sales, order=order, amount=Decimal("60.00"), reason="一部分")
    with pytest.raises(ValidationError) as excinfo:
        refund_record(actor=org.sales, order=order, amount=Decimal("40.01"), reason="太多")
    assert field_errors(excinfo) == {
        "amount": ["退款金额不能超过可退金额 ¥40.00（订单金额 ¥100.00，已退 ¥60.00）。"]
    }
    assert Refund.objects.count() == 1
    order.refresh_from_db()
    assert order.refunded_total == Decimal("60.00")


@pytest.mark.parametrize(
    ("amount", "reason", "field"),
    [("0", "x", "amount"), ("-5", "x", "amount"), ("1.001", "x", "amount"), ("1", "  ", "reason")],
)
def test_bad_refunds_are_refused(org, book, amount, reason, field):
    order, _ = order_upsert(actor=org.sales, data=order_data(book["own"], total="100.00"))
    with pytest.raises(ValidationError) as excinfo:
        refund_record(actor=org.sales, order=order, amount=Decimal(amount), reason=reason)
    assert list(field_errors(excinfo)) == [field]
    assert not Refund.objects.exists()


def test_a_cancelled_order_cannot_be_refunded(org, book):
    order, _ = order_upsert(
        actor=org.sales, data=order_data(book["own"], total="100.00", status="cancelled")
    )
    with pytest.raises(ValidationError) as excinfo:
        refund_record(actor=org.sales, order=order, amount=Decimal("1.00"), reason="x")
    assert field_errors(excinfo) == {"amount": ["已取消的订单不能退款。"]}


def test_a_refund_before_the_order_is_refused(org, book):
    order, _ = order_upsert(actor=org.sales, data=order_data(book["own"], total="100.00"))
    with pytest.raises(ValidationError) as excinfo:
        refund_record(
            actor=org.sales,
            order=order,
            amount=Decimal("1.00"),
            reason="x",
            refunded_at=WHEN - dt.timedelta(days=1),
        )
    assert list(field_errors(excinfo)) == ["refunded_at"]


def test_a_refund_sent_twice_is_recorded_once(org, book):
    order, _ = order_upsert(actor=org.sales, data=order_data(book["own"], total="100.00"))
    first, created = refund_record(
        actor=org.sales, order=order, amount=Decimal("10.00"), reason="x", external_id="RF-1"
    )
    again, created_again = refund_record(
        actor=org.sales, order=order, amount=Decimal("10.00"), reason="x", external_id="RF-1"
    )
    assert (created, created_again) == (True, False) and first.pk == again.pk
    order.refresh_from_db()
    assert order.refunded_total == Decimal("10.00")


# --- reading: the customer's orders and their summary --------------------------------------------


def test_order_summary_counts_revenue_refunds_and_known_profit(org, book, products):
    own = book["own"]
    a, _ = order_upsert(
        actor=org.sales, data=order_data(own, "S-1", lines=[line(products["tea"], "2")])
    )
    order_upsert(actor=org.sales, data=order_data(own, "S-2", total="50.00"))  # cost unknown
    order_upsert(actor=org.sales, data=order_data(own, "S-3", total="999.00", status="cancelled"))
    refund_record(actor=org.sales, order=a, amount=Decimal("20.00"), reason="x")
    summary = order_summary(own)
    assert summary.count == 2 and summary.cancelled == 1
    assert summary.revenue == Decimal("250.00")
    assert summary.refunds == Decimal("20.00")
    assert summary.net_revenue == Decimal("230.00")
    assert summary.gross_profit == Decimal("80.00")  # only S-1 has a known cost
    assert summary.orders_without_cost == 1 and not summary.gross_profit_complete


def test_order_summary_without_orders(org, book):
    summary = order_summary(book["own"])
    assert (summary.count, summary.revenue, summary.gross_profit) == (0, Decimal("0.00"), None)


def test_orders_for_customer_are_newest_first(org, book):
    for days, key in ((0, "N-0"), (5, "N-5"), (2, "N-2")):
        order_upsert(
            actor=org.sales,
            data=order_data(book["own"], key, total="1", ordered_at=WHEN + dt.timedelta(days=days)),
        )
    assert [o.external_id for o in orders_for_customer(book["own"], limit=2)] == ["N-5", "N-2"]


# --- merges move orders --------------------------------------------------------------------------


def test_a_merge_moves_orders_and_undo_moves_them_back(org, book):
    other = make_customer(org.sales, name="东一（重复）")
    order, _ = order_upsert(actor=org.sales, data=order_data(other, total="10.00"))
    record = customer_merge(actor=org.sales, survivor_id=book["own"].pk, other_id=other.pk)
    order.refresh_from_db()
    assert order.customer_id == book["own"].pk
    merge_undo(actor=org.admin, merge_id=record.pk)
    order.refresh_from_db()
    assert order.customer_id == other.pk


def test_order_data_defaults(org, book):
    data = OrderData(
        source="s", external_id="e", ordered_at=WHEN, customer_id=book["own"].pk, total=Decimal(1)
    )
    order, _ = order_upsert(actor=org.sales, data=data)
    assert order.channel == "other" and order.status == "paid"


# --- the batch's lookups read indexes ---------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plans")
def test_the_batch_lookups_use_the_partial_unique_indexes(org, book, products):
    """SQLite uses a partial index only when the query states its condition as the
    index does: the lookups by external id and by SKU must not scan the tables."""
    book["own"].source, book["own"].external_id = "s", "C-OWN"
    book["own"].save(update_fields=["source", "external_id"])
    by_key = order_data(None, "K-3", source="s", customer_external_id="C-OWN", total="6.00")
    items = [
        order_data(book["own"], "K-1", lines=[line(quantity="1", sku="TEA-1")]),
        order_data(book["own"], "K-2", total="5.00"),
        by_key,
    ]
    results = orders_ingest(actor=org.sales, items=items)
    assert all(result.error is None for result in results), results
    with CaptureQueriesContext(connection) as ctx:
        orders_ingest(actor=org.sales, items=items)
    lookups = [
        q["sql"]
        for q in ctx.captured_queries
        if "json_each" in q["sql"] and ("external_id) IN" in q["sql"] or "sku IN" in q["sql"])
    ]
    assert len(lookups) >= 3
    for sql in lookups:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
        assert "USING" in plan and "SCAN orders_" not in plan, (sql, plan)
        assert "SCAN customers_" not in plan, (sql, plan)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_the_lookup_by_key_is_an_index_condition_whatever_the_statistics(org, book):
    """PostgreSQL: statistics gathered before any order of a source estimate it at one
    row; ``source = %s`` stated on its own was then planned as a scan of every order of
    the source through the index, the external ids filtered one by one. The pair is
    the index condition, the external id included."""
    for batch in range(3):  # a table of some size, all of another source, analysed
        shop = [order_data(book["own"], f"S-{batch}-{n}", total="5.00") for n in range(1000)]
        orders_ingest(actor=org.sales, items=shop)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")
    items = [order_data(book["own"], f"A-{n}", source="fresh", total="5.00") for n in range(300)]
    assert all(result.error is None for result in orders_ingest(actor=org.sales, items=items))
    with CaptureQueriesContext(connection) as ctx:
        orders_ingest(
            actor=org.sales, items=[order_data(book["own"], "A-7", source="fresh", total="6.00")]
        )
    [lookup] = [q["sql"] for q in ctx.captured_queries if "content_hash FROM" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {lookup}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    conditions = [text for text in plan.splitlines() if "Index Cond" in text]
    assert any("external_id" in text for text in conditions), plan


def test_the_batch_writes_every_column():
    """New orders and lines are written as tuples in a fixed column order: a column
    added to the models must be added there too."""
    for model, columns in ((Order, ORDER_COLUMNS), (OrderLine, LINE_COLUMNS)):
        fields = {f.column for f in model._meta.concrete_fields if not f.primary_key}
        assert set(columns) == fields and len(columns) == len(fields)
