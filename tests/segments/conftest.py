"""A small population for the segment tests: profiles, orders, stages, tags, flags,
satisfaction and a scoring run — every kind of fact a segment reads."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.customers.models import Customer, CustomFieldDefinition, Tag
from kehu.lifecycle.models import CustomerFlag, CustomerStage, Flag, LifecycleModel, Stage
from kehu.orders.models import Order, OrderLine, Product
from kehu.segments.refresh import facts_refresh
from kehu.surveys.models import Satisfaction
from kehu.value.services import score_run
from tests.api.conftest import as_user  # noqa: F401 (the API tests here use it)
from tests.conftest import Org
from tests.value.factories import population

PROVINCES = {"广东": ("广州", "佛山", "深圳"), "浙江": ("杭州", "宁波"), "四川": ("成都",)}
GENDERS = ("", "male", "female")
BANDS = ("", "low", "middle", "high")
SIZES = ("", "micro", "small", "large")
CHANNELS = ("", "website", "referral", "dealer")
INDUSTRIES = ("", "餐饮", "零售", "制造")


@dataclass
class World:
    now: dt.datetime
    customers: list[Customer]
    model: LifecycleModel
    stages: dict[str, Stage]


def build_world(org: Org, n: int = 90, seed: int = 7) -> World:
    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate(now)
    owners = [org.sales, org.east_sales2, org.west_sales, None]
    people = population(None, n, seed=seed, today=today - dt.timedelta(days=1))
    extra = [Customer(name=f"无订单{i}") for i in range(10)]
    Customer.objects.bulk_create(extra)
    people = list(Customer.objects.filter(deleted_at__isnull=True).order_by("pk"))
    vip, _c = Tag.objects.get_or_create(name="VIP")
    old, _c = Tag.objects.get_or_create(name="老客户")
    flag, _c = Flag.objects.get_or_create(key="key_account", defaults={"name": "重点客户"})
    model = LifecycleModel.objects.create(key="segtest", name="主模型", is_active=True)
    stages = {
        key: Stage.objects.create(model=model, key=key, name=name, position=i)
        for i, (key, name) in enumerate((("new", "新客"), ("active", "活跃"), ("lost", "流失")))
    }
    CustomFieldDefinition.objects.get_or_create(
        key="size", defaults={"label": "规模", "kind": "number"}
    )
    CustomFieldDefinition.objects.get_or_create(
        key="level", defaults={"label": "等级", "kind": "text"}
    )
    for person in people:
        province = rng.choice([*PROVINCES, ""])
        custom: dict[str, object] = {}
        if rng.random() < 0.6:
            custom["size"] = rng.choice([5, 12, 12.5, 40, "很多"])
        if rng.random() < 0.6:
            custom["level"] = rng.choice(["A", "B", "", 3])
        owner = rng.choice(owners)
        Customer.objects.filter(pk=person.pk).update(
            province=province,
            city=rng.choice(PROVINCES[province]) if province else "",
            gender=rng.choice(GENDERS),
            income_band=rng.choice(BANDS),
            company_size=rng.choice(SIZES),
            source_channel=rng.choice(CHANNELS),
            industry=rng.choice(INDUSTRIES),
            interests=rng.choice(["", "钓鱼", "钓鱼、茶", "茶，咖啡", "Golf"]),
            custom_fields=custom,
            kind=rng.choice(("person", "company")),
            birthday=(
                None
                if rng.random() < 0.3
                else today - dt.timedelta(days=rng.randint(18 * 365, 70 * 365))
            ),
            created_at=now - dt.timedelta(days=rng.randint(0, 800), hours=rng.randint(0, 23)),
            last_contact_at=(
                None if rng.random() < 0.4 else now - dt.timedelta(days=rng.uniform(0, 200))
            ),
            owner=owner,
            team=owner.team if owner is not None else None,
        )
        if rng.random() < 0.3:
            person.tags.add(vip)
        if rng.random() < 0.3:
            person.tags.add(old)
        if rng.random() < 0.2:
            CustomerFlag.objects.create(customer=person, flag=flag, set_at=now)
        if rng.random() < 0.8:
            CustomerStage.objects.create(
                customer=person,
                model=model,
                stage=rng.choice(list(stages.values())),
                since=now - dt.timedelta(days=rng.uniform(0, 300)),
            )
        if rng.random() < 0.4:
            Satisfaction.objects.create(
                customer=person,
                csat=rng.randint(1, 5),
                nps=rng.randint(0, 10) if rng.random() < 0.7 else None,
                answered_at=now - dt.timedelta(days=rng.randint(0, 90)),
            )
    drinks = Product.objects.create(name="可乐", sku="COLA", category="饮料")
    snacks = Product.objects.create(name="薯片", sku="CHIPS", category="零食")
    lines = []
    for order in Order.objects.all():
        Order.objects.filter(pk=order.pk).update(
            channel=rng.choice(("online_shop", "store", "wechat", "other"))
        )
        if rng.random() < 0.3:
            lines.append(
                OrderLine(
                    order=order,
                    position=1,
                    product=rng.choice((drinks, snacks)),
                    quantity=Decimal(1),
                    unit_price=order.total,
                    amount=order.total,
                )
            )
    OrderLine.objects.bulk_create(lines)
    score_run(as_of=today)
    facts_refresh(now=now)
    return World(now, people, model, stages)


@pytest.fixture
def world(org: Org) -> World:
    return build_world(org)
