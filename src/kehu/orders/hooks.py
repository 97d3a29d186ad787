"""Extra fields of order entry that apps above orders fill in (a coupon code).

Orders may not import the apps above it, yet a sale typed in (the sale form, the
quick sale) or pushed (POST /api/v1/orders) may carry something one of them acts on:
the coupons app registers ``coupon_code`` in its ``AppConfig.ready()``. A field has
a name (the form input and the API key), a label, and ``apply``, called with the
order just saved, in the order's own transaction: when it raises ``ValidationError``
the whole sale is refused with its message (under the field's name) and nothing is
written. Only new sales take extra fields; an edit does not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.functional import Promise

from kehu.accounts.models import User
from kehu.orders.models import Order


@dataclass(frozen=True)
class OrderField:
    name: str  # the form input and the API's key, e.g. ``coupon_code``
    label: str | Promise
    help_text: str | Promise
    # ``apply(actor=..., order=..., value=...)``: raise ``ValidationError`` to refuse.
    apply: Callable[..., Any]


_FIELDS: dict[str, OrderField] = {}


def register_order_field(field: OrderField) -> None:
    _FIELDS[field.name] = field


def order_fields() -> list[OrderField]:
    """The registered fields, in the order they were registered."""
    return list(_FIELDS.values())


def order_field_values(data: Mapping[str, Any]) -> dict[str, str]:
    """The registered fields' values in ``data`` (a POST, an API body), blank ones left out."""
    values = {}
    for field in _FIELDS.values():
        value = data.get(field.name)
        if isinstance(value, str) and value.strip():
            values[field.name] = value.strip()
    return values


def order_fields_apply(*, actor: User, order: Order, values: Mapping[str, str]) -> None:
    """Apply each field given a value, inside the caller's transaction; a refusal is
    re-raised as ``ValidationError({name: messages})``."""
    for field in _FIELDS.values():
        value = values.get(field.name, "")
        if not value:
            continue
        try:
            field.apply(actor=actor, order=order, value=value)
        except ValidationError as error:
            raise ValidationError({field.name: error.messages}) from error
