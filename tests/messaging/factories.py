"""Customers with consent, for the messaging tests."""

from __future__ import annotations

import itertools
from typing import Any

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.messaging.models import Channel, ConsentSource, ConsentStatus
from kehu.messaging.services import consent_set
from tests.factories import make_customer

_numbers = itertools.count(1)


def consenting_customer(
    owner: User | None,
    *,
    channels: tuple[str, ...] = (Channel.EMAIL, Channel.SMS),
    status: str = ConsentStatus.GRANTED,
    **data: Any,
) -> Customer:
    n = next(_numbers)
    data.setdefault("email", f"kehu{n}@example.com")
    data.setdefault("phones", (f"+86138{n:08d}",))
    customer = make_customer(owner, **data)
    for channel in channels:
        consent_set(
            actor=None,
            customer=customer,
            channel=channel,
            status=status,
            source=ConsentSource.FORM,
        )
    return customer
