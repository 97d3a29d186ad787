"""Customers and orders for the value tests, written in bulk (no services: the scoring
reads the tables as they are)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.orders.models import Order

TODAY = dt.date(2026, 6, 30)


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    """Noon (local) of ``day``, aware."""
    zone = timezone.get_default_timezone()
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zone)


def customers(n: int, owner: User | None = None, prefix: str = "客户") -> list[Customer]:
    Customer.objects.bulk_create(
        [
            Customer(name=f"{prefix}{i}", owner=owner, team=getattr(owner, "team", None))
            for i in range(n)
        ]
    )
    return list(Customer.objects.filter(name__startswith=prefix).order_by("pk"))


def order(
    customer: Customer,
    day: dt.date,
    total: str = "100.00",
    *,
    cost: str | None = "60.00",
    status: str = "paid",
    refunded: str = "0.00",
    hour: int = 12,
) -> Order:
    return Order.objects.create(
        customer=customer,
        ordered_at=at(day, hour),
        total=Decimal(total),
        cost=Decimal(cost) if cost is not None else None,
        status=status,
        refunded_total=Decimal(refunded),
    )


def population(
    owner: User | None, n: int = 320, *, seed: int = 1, today: dt.date = TODAY
) -> list[Customer]:
    """``n`` customers buying at their own pace over two years (most of them repeat
    buyers, some gone quiet): enough for BG/NBD and Gamma-Gamma to fit."""
    rng = random.Random(seed)
    people = customers(n, owner, prefix="人口")
    rows = []
    for person in people:
        first = today - dt.timedelta(days=rng.randint(60, 700))
        gap = rng.uniform(10, 90)
        alive_until = first + dt.timedelta(days=rng.expovariate(1 / 400))
        day = first
        spend = rng.uniform(50, 500)
        while day <= today and day <= alive_until:
            total = Decimal(f"{max(1.0, rng.gauss(spend, spend / 4)):.2f}")
            rows.append(
                Order(
                    customer=person,
                    ordered_at=at(day),
                    total=total,
                    cost=(total * Decimal("0.6")).quantize(Decimal("0.01")),
                    status="paid",
                )
            )
            day += dt.timedelta(days=max(1, round(rng.expovariate(1 / gap))))
    Order.objects.bulk_create(rows, batch_size=500)
    return people
