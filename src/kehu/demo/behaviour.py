"""Two years of what demo customers do: orders (with lines), refunds, interactions and
follow-up tasks, with the rhythms real books have so later analytics find signal:

* about 15 % never buy (identified, not yet won);
* most buy a few times a year, some every month, a few very often (the 20 % that carry
  the business);
* about a third of buyers stop buying at some point (churn), and are contacted less;
* every customer arrives at some moment of the two years, so tenure varies.

Rows are written as tuples with ``kehu.core.bulk`` — 100,000 customers' two years
take seconds, not minutes.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from kehu.accounts.models import User
from kehu.core.bulk import bulk_insert, next_id, sequences_reset
from kehu.core.sql import datetime_adapter
from kehu.customers.models import Customer, CustomerChange, OwnerChange
from kehu.followups.models import Task
from kehu.interactions.models import Interaction
from kehu.orders.models import Order, OrderLine, Product, Refund

YEARS = 2
DAY = dt.timedelta(days=1)

# (name, category, price, unit cost or None when unknown)
PRODUCTS: list[tuple[str, str, str, str | None]] = [
    ("西湖龙井礼盒 250g", "茶叶", "368.00", "190.00"),
    ("安溪铁观音 500g", "茶叶", "258.00", "120.00"),
    ("云南普洱茶饼 357g", "茶叶", "198.00", "85.00"),
    ("武夷岩茶大红袍", "茶叶", "428.00", None),
    ("五粮液 52度 500ml", "酒水", "1099.00", "880.00"),
    ("青岛啤酒整箱 24罐", "酒水", "96.00", "68.00"),
    ("长城干红葡萄酒", "酒水", "168.00", "92.00"),
    ("五常大米 10kg", "粮油食品", "139.00", "88.00"),
    ("金龙鱼食用油 5L", "粮油食品", "79.90", "61.00"),
    ("坚果礼盒", "粮油食品", "168.00", "96.00"),
    ("中秋月饼礼盒", "节日礼品", "298.00", "150.00"),
    ("端午粽子礼盒", "节日礼品", "168.00", "80.00"),
    ("企业定制台历", "节日礼品", "35.00", None),
    ("A4 复印纸 5包", "办公用品", "129.00", "98.00"),
    ("得力签字笔 12支", "办公用品", "24.00", "14.00"),
    ("激光打印机", "办公设备", "1599.00", "1180.00"),
    ("商务笔记本电脑", "办公设备", "5999.00", "5100.00"),
    ("会议平板 65寸", "办公设备", "12800.00", "9800.00"),
    ("CRM 软件年费（10用户）", "软件服务", "6800.00", "1200.00"),
    ("财务软件年费", "软件服务", "3600.00", None),
    ("企业邮箱年费", "软件服务", "980.00", "300.00"),
    ("管理咨询服务（天）", "咨询服务", "8000.00", None),
    ("员工培训课程", "咨询服务", "2800.00", "900.00"),
    ("空气净化器", "家电", "2299.00", "1650.00"),
    ("扫地机器人", "家电", "1899.00", "1300.00"),
    ("电热水壶", "家电", "129.00", "72.00"),
    ("洗护礼盒", "日用品", "158.00", "70.00"),
    ("抽纸整箱", "日用品", "59.90", "41.00"),
    ("保温杯", "日用品", "99.00", "38.00"),
    ("工装定制（套）", "服装", "260.00", "150.00"),
]

CHANNELS = ["online_shop", "store", "sales_rep", "phone", "wechat", "dealer"]
CHANNEL_WEIGHTS = [30, 20, 20, 8, 15, 7]
REFUND_REASONS = ["质量问题", "发错货", "客户不想要了", "物流破损", "价格调整补差"]
INTERACTION_KINDS = ["call", "visit", "email", "sms", "wechat", "meeting", "event"]
INTERACTION_WEIGHTS = [35, 12, 8, 8, 30, 5, 2]
NOTES = [
    "电话沟通近期需求，客户比较满意",
    "微信发送新品资料，客户表示感兴趣",
    "上门拜访，了解采购计划",
    "客户咨询售后问题，已解决",
    "节日问候，顺便介绍促销活动",
    "客户反馈价格偏高，需要再谈",
    "邀请参加新品发布会",
    "确认下季度订单意向",
]
TASK_TITLES = {
    "call": "电话回访",
    "visit": "上门拜访",
    "gift": "节日送礼",
    "survey": "满意度调查",
    "care": "生日关怀",
}


@dataclass
class Buyer:
    customer_id: int
    owner_id: int | None
    start: dt.datetime
    rate: float  # orders per year while active
    stop: dt.datetime | None  # churned: no orders after this
    channel: str
    big: bool  # buys more per order


def _profiles(
    rng: random.Random, customers: Sequence[tuple[int, int | None]], now: dt.datetime
) -> list[Buyer]:
    first = now - dt.timedelta(days=365 * YEARS)
    span = (now - first).total_seconds()
    out = []
    for customer_id, owner_id in customers:
        start = first + dt.timedelta(seconds=span * rng.random() ** 0.8)
        roll = rng.random()
        if roll < 0.15:
            rate = 0.0
        elif roll < 0.70:
            rate = rng.uniform(0.8, 3.0)
        elif roll < 0.90:
            rate = rng.uniform(4.0, 10.0)
        else:
            rate = rng.uniform(12.0, 36.0)
        stop = None
        if rate and rng.random() < 0.33:
            stop = start + (now - start) * rng.uniform(0.2, 0.9)
        channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        out.append(Buyer(customer_id, owner_id, start, rate, stop, channel, rate > 12))
    return out


def _poisson_times(
    rng: random.Random, start: dt.datetime, end: dt.datetime, per_year: float
) -> Iterator[dt.datetime]:
    if per_year <= 0 or end <= start:
        return
    at = start
    while True:
        at += dt.timedelta(days=-math.log(1.0 - rng.random()) * 365 / per_year)
        if at >= end:
            return
        yield at


class _Table:
    """Rows for one model as tuples, columns in model order, defaults filled in."""

    def __init__(self, model: type[models.Model], *, with_id: bool) -> None:
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
        self.columns = [str(f.column) for f in self.fields]
        self.defaults: dict[str, Any] = {}
        for f in self.fields:
            if f.has_default():
                self.defaults[f.attname] = f.get_default()
            elif f.null:
                self.defaults[f.attname] = None
            elif isinstance(f, (models.CharField, models.TextField)):
                self.defaults[f.attname] = ""
        self.rows: list[tuple[Any, ...]] = []
        self._adapt = datetime_adapter()
        self._dates = {f.attname for f in self.fields if isinstance(f, models.DateTimeField)}
        self._json = {f.attname for f in self.fields if isinstance(f, models.JSONField)}

    def add(self, **values: Any) -> None:
        row = []
        for f in self.fields:
            value = values[f.attname] if f.attname in values else self.defaults[f.attname]
            if f.attname in self._dates and value is not None:
                value = self._adapt(value)
            elif f.attname in self._json:
                value = f.get_db_prep_save(value, connection)
            row.append(value)
        self.rows.append(tuple(row))

    def flush(self) -> int:
        done = bulk_insert(self.model._meta.db_table, self.columns, self.rows)
        self.rows = []
        return done


def demo_products(admin: User) -> list[Product]:
    products = [
        Product(
            name=name,
            sku=f"SKU-{i + 1:04d}",
            category=category,
            price=Decimal(price),
            unit_cost=Decimal(cost) if cost else None,
            created_by=admin,
            updated_by=admin,
        )
        for i, (name, category, price, cost) in enumerate(PRODUCTS)
    ]
    have = set(Product.objects.values_list("sku", flat=True))
    Product.objects.bulk_create([p for p in products if p.sku not in have])
    return list(Product.objects.filter(sku__in=[p.sku for p in products]).order_by("id"))


def demo_behaviour(
    *,
    seed: int,
    customers: Sequence[tuple[int, int | None]],
    users: Sequence[User],
    service: User | None,
    admin: User,
    now: dt.datetime,
    batch: int = 5000,
) -> dict[str, int]:
    """Orders, refunds, interactions and tasks for ``customers`` ((id, owner id))."""
    rng = random.Random(seed * 7919 + 1)
    products = demo_products(admin)
    by_id = {u.pk: u for u in users}
    staff = [u.pk for u in users]
    counts = {"orders": 0, "lines": 0, "refunds": 0, "interactions": 0, "tasks": 0}
    ids = {"order": next_id(Order)}
    for start in range(0, len(customers), batch):
        chunk = customers[start : start + batch]
        with transaction.atomic():
            got = _chunk(rng, _profiles(rng, chunk, now), products, by_id, staff, service, now, ids)
        for key, value in got.items():
            counts[key] += value
    sequences_reset(Order)
    return counts


def _chunk(
    rng: random.Random,
    buyers: list[Buyer],
    products: list[Product],
    users: dict[int, User],
    staff: list[int],
    service: User | None,
    now: dt.datetime,
    ids: dict[str, int],
) -> dict[str, int]:
    orders = _Table(Order, with_id=True)
    lines = _Table(OrderLine, with_id=False)
    refunds = _Table(Refund, with_id=False)
    interactions = _Table(Interaction, with_id=False)
    tasks = _Table(Task, with_id=False)
    last_contact: dict[int, dt.datetime] = {}
    created: dict[int, dt.datetime] = {}
    for b in buyers:
        created[b.customer_id] = b.start
        end = min(b.stop, now) if b.stop else now
        person = b.owner_id or rng.choice(staff)
        for at in _poisson_times(rng, b.start, end, b.rate):
            order_id = ids["order"]
            ids["order"] += 1
            total, cost, n_lines = _order_lines(rng, lines, order_id, products, b.big)
            pushed = rng.random() < 0.05  # a shop system pushing totals only
            if pushed:
                lines.rows = lines.rows[:-n_lines]
                cost = None
            status, refunded = "paid", Decimal("0.00")
            if rng.random() < 0.03:
                refunded = (
                    total
                    if rng.random() < 0.5
                    else (total * Decimal("0.3")).quantize(Decimal("0.01"))
                )
                status = "refunded" if refunded >= total else "partially_refunded"
                refunds.add(
                    order_id=order_id,
                    kind="refund",
                    amount=refunded,
                    reason=rng.choice(REFUND_REASONS),
                    refunded_at=min(at + dt.timedelta(days=rng.randint(1, 14)), now),
                    created_by_id=person,
                    created_at=now,
                )
            elif rng.random() < 0.01:
                status = "cancelled"
            orders.add(
                id=order_id,
                customer_id=b.customer_id,
                source="shop" if pushed else "",
                external_id=f"SHOP-{order_id}" if pushed else "",
                ordered_at=at,
                channel="online_shop" if pushed else b.channel,
                status=status,
                total=total,
                cost=cost,
                refunded_total=refunded,
                created_by_id=person,
                updated_by_id=person,
                created_at=at,
                updated_at=at,
            )
        contact_rate = (b.rate * 0.8 + 2.0) if b.owner_id else 0.5
        who = [b.owner_id] if b.owner_id else []
        if service is not None:
            who.append(service.pk)
        if not who:
            who = staff
        # Churned customers hear less from us after they stop.
        for at in _poisson_times(rng, b.start, end, contact_rate):
            _interaction(rng, interactions, b.customer_id, rng.choice(who), at)
            last_contact[b.customer_id] = at
        if b.stop:
            for at in _poisson_times(rng, end, now, 0.5):
                _interaction(rng, interactions, b.customer_id, rng.choice(who), at)
                last_contact[b.customer_id] = at
        if b.owner_id and b.owner_id in users:
            for at in _poisson_times(rng, b.start, now, 1.0):
                kind = rng.choice(list(TASK_TITLES))
                tasks.add(
                    customer_id=b.customer_id,
                    assignee_id=b.owner_id,
                    kind=kind,
                    title=TASK_TITLES[kind],
                    due_at=at,
                    status="done" if rng.random() < 0.85 else "skipped",
                    result="已完成回访，客户反馈良好" if rng.random() < 0.7 else "",
                    done_at=at,
                    created_by_id=b.owner_id,
                    created_at=at - dt.timedelta(days=3),
                    updated_at=at,
                )
            if rng.random() < 0.12:  # open follow-ups: overdue, today, coming days
                kind = rng.choice(list(TASK_TITLES))
                day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
                due = day + dt.timedelta(days=rng.randint(-5, 10), hours=rng.randint(9, 17))
                tasks.add(
                    customer_id=b.customer_id,
                    assignee_id=b.owner_id,
                    kind=kind,
                    title=TASK_TITLES[kind],
                    due_at=due.astimezone(dt.UTC),
                    status="open",
                    created_by_id=b.owner_id,
                    created_at=now - dt.timedelta(days=7),
                    updated_at=now - dt.timedelta(days=7),
                )
    counts = {
        "orders": orders.flush(),
        "lines": lines.flush(),
        "refunds": refunds.flush(),
        "interactions": interactions.flush(),
        "tasks": tasks.flush(),
    }
    _customer_dates(created, last_contact)
    return counts


def _order_lines(
    rng: random.Random, lines: _Table, order_id: int, products: list[Product], big: bool
) -> tuple[Decimal, Decimal | None, int]:
    n = rng.choice([1, 1, 1, 2, 2, 3])
    total = Decimal("0.00")
    cost: Decimal | None = Decimal("0.00")
    for position, product in enumerate(rng.sample(products, n)):
        quantity = Decimal(rng.randint(1, 20 if big else 4))
        gross = product.price * quantity
        discount = (
            (gross * Decimal("0.05")).quantize(Decimal("0.01"))
            if rng.random() < 0.2
            else Decimal("0.00")
        )
        amount = gross - discount
        total += amount
        if product.unit_cost is None or cost is None:
            cost = None
        else:
            cost += product.unit_cost * quantity
        lines.add(
            order_id=order_id,
            position=position + 1,
            product_id=product.pk,
            description=product.name,
            quantity=quantity,
            unit_price=product.price,
            discount=discount,
            unit_cost=product.unit_cost,
            amount=amount,
        )
    return total, cost, n


def _interaction(
    rng: random.Random, table: _Table, customer_id: int, user_id: int, at: dt.datetime
) -> None:
    kind = rng.choices(INTERACTION_KINDS, INTERACTION_WEIGHTS)[0]
    table.add(
        customer_id=customer_id,
        kind=kind,
        direction="inbound" if rng.random() < 0.25 else "outbound",
        user_id=user_id,
        occurred_at=at,
        duration_minutes=rng.randint(2, 40) if kind in ("call", "visit", "meeting") else None,
        notes=rng.choice(NOTES),
        created_by_id=user_id,
        created_at=at,
    )


def _customer_dates(created: dict[int, dt.datetime], last_contact: dict[int, dt.datetime]) -> None:
    """Customers arrived when their history starts; the pool rules read the last
    contact (and the orders, for the last deal)."""
    table = Customer._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    rows = [(adapt(created[cid]), adapt(last_contact.get(cid)), cid) for cid in created]
    changes = CustomerChange._meta.db_table
    owners = OwnerChange._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET created_at = %s, last_contact_at = %s WHERE id = %s",
            rows,
        )
        # Their history starts then too.
        born = [(adapt(created[cid]), cid) for cid in created]
        cursor.executemany(
            f"UPDATE {changes} SET at = %s WHERE customer_id = %s AND action = 'create'", born
        )
        cursor.executemany(
            f"UPDATE {owners} SET at = %s WHERE customer_id = %s AND kind = 'create'", born
        )
