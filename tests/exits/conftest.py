"""Exits: customers with purchases and a lifecycle the tests move by hand or by rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from itertools import count

import pytest

from kehu.core.events import unsubscribe
from kehu.lifecycle.services import EVENT_KINDS, events_subscribe
from kehu.orders.services import OrderData, order_upsert

_numbers = count(1)
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=1)


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def buy(actor, customer, at: dt.datetime, total: str = "100.00", lines=None):
    return order_upsert(
        actor=actor,
        data=OrderData(
            source="shop",
            external_id=f"X-{next(_numbers)}",
            ordered_at=at,
            customer_id=customer.pk,
            total=Decimal(total) if lines is None else None,
            lines=lines or [],
        ),
    )[0]


@pytest.fixture
def engine_off() -> Iterator[None]:
    """No event-driven lifecycle evaluation: the tests evaluate as of dates they choose."""
    for kind in EVENT_KINDS:
        unsubscribe(kind, "lifecycle.evaluate")
    yield
    events_subscribe()
