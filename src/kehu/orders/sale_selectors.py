"""Reads of the sale pages: products by name, pinyin or SKU, and the customers a user
may record a sale for, found by the last digits of a phone (or a name)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Q

from kehu.accounts.models import User
from kehu.customers.access import can_write, contact_data_visible_q, visibility_q
from kehu.customers.models import Customer
from kehu.customers.search import search_customer_ids
from kehu.orders.models import Product

PRODUCT_RESULTS = 8
CUSTOMER_RESULTS = 6


def product_search(query: str, *, limit: int = PRODUCT_RESULTS) -> list[Product]:
    """Products on sale matching ``query`` in their name, SKU, full pinyin or pinyin
    initials (``龙井``, ``TEA-1``, ``longjing``, ``lj``); without a query, the first
    ones by name (the counter's quick picks)."""
    products = Product.objects.filter(is_active=True)
    text = query.strip().lower()[:100]
    if text:
        match = Q(search_key__contains=text) | Q(name__icontains=text) | Q(sku__icontains=text)
        compact = re.sub(r"\s+", "", text)
        if compact != text:  # "long jing": the pinyin is stored run together
            match |= Q(search_key__contains=compact)
        products = products.filter(match)
    return list(products.order_by("name", "id")[:limit])


def product_for_sale(product_id: object) -> Product | None:
    """An active product by id (a line being added), or ``None``."""
    try:
        pk = int(str(product_id))
    except (TypeError, ValueError):
        return None
    if not 1 <= pk <= 2**63 - 1:
        return None
    return Product.objects.filter(is_active=True, pk=pk).first()


@dataclass(frozen=True)
class Buyer:
    """A customer offered to the sale form, with only what may be shown."""

    pk: int
    name: str
    phone_hint: str  # "尾号 5678" from what the user typed, never more of the number


def buyer_search(actor: User, query: str, *, limit: int = CUSTOMER_RESULTS) -> list[Buyer]:
    """Customers ``actor`` may record a sale for (write access), found by the last
    digits of a phone (four or more) or a name, newest first. Part of a phone matches
    only where the actor may see contact data (not the pool's, for salespeople)."""
    text = query.strip()
    if not text:
        return []
    ids = search_customer_ids(
        text,
        visibility_q(actor),
        contact_visible=contact_data_visible_q(actor),
        limit=limit * 3,  # some may be read-only to the actor
    )
    customers = Customer.objects.alive().filter(pk__in=ids).only("id", "name", "owner", "team")
    by_id = {c.pk: c for c in customers}
    digits = re.sub(r"\D", "", text)
    hint = (
        digits[-4:] if len(digits) >= 4 and len(digits) == len(re.sub(r"[\s\-+]", "", text)) else ""
    )
    found: list[Buyer] = []
    for pk in ids:
        customer = by_id.get(pk)
        if customer is not None and can_write(actor, customer):
            found.append(Buyer(customer.pk, customer.name, hint))
        if len(found) == limit:
            break
    return found
