"""Helpers for the lifecycle tests: orders pushed through the real service."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import count

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.orders.services import OrderData, order_upsert

_numbers = count(1)
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=1)


def days_ago(days: float, now: dt.datetime = NOW) -> dt.datetime:
    return now - dt.timedelta(days=days)


def buy(
    actor: User, customer: Customer, at: dt.datetime, total: str = "100.00", cost: str | None = None
) -> None:
    order_upsert(
        actor=actor,
        data=OrderData(
            source="shop",
            external_id=f"L-{next(_numbers)}",
            ordered_at=at,
            customer_id=customer.pk,
            total=Decimal(total),
            cost=Decimal(cost) if cost is not None else None,
        ),
    )
