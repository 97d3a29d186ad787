"""What points buy: a registry of redeemable kinds.

The loyalty app registers ``gift`` (the gift catalogue). The coupons app registers
``coupon`` the same way in its ``AppConfig.ready()`` — its cost (the template's points
price) and its delivery (issuing a coupon to the customer) — so loyalty never imports
it::

    from kehu.loyalty.redeemables import Redeemable, register_redeemable
    register_redeemable(Redeemable("coupon", _("优惠券"), cost=..., deliver=..., choices=...))

``points_redeem`` (services) locks the member, asks ``cost``, checks the balance, calls
``deliver`` (which may refuse with ``ValidationError``: out of stock, inactive) and
writes the ledger entry, all in one transaction: a refusal changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.loyalty.models import Gift


@dataclass(frozen=True)
class Redeemable:
    kind: str
    label: str
    # Points for ``quantity`` of item ``item_id``; ValidationError if there is no such item.
    cost: Callable[[int, int], int]
    # Hand it over (stock taken, coupon issued): returns a reference kept on the entry.
    deliver: Callable[[User, Customer, int, int], str]
    # What may be chosen now: (id, name, points each).
    choices: Callable[[], list[tuple[int, str, int]]]


_registry: dict[str, Redeemable] = {}


def register_redeemable(redeemable: Redeemable) -> None:
    _registry[redeemable.kind] = redeemable


def redeemable(kind: str) -> Redeemable:
    found = _registry.get(kind)
    if found is None:
        raise ValidationError({"kind": [_("不能兑换这类物品。")]})
    return found


def redeemables() -> list[Redeemable]:
    return list(_registry.values())


def _gift(item_id: int) -> Gift:
    gift = Gift.objects.filter(pk=item_id, is_active=True).first()
    if gift is None:
        raise ValidationError({"item_id": [_("该礼品不存在或已下架。")]})
    return gift


def gift_cost(item_id: int, quantity: int) -> int:
    return _gift(item_id).points_cost * quantity


def gift_deliver(actor: User, customer: Customer, item_id: int, quantity: int) -> str:
    """Take ``quantity`` from the gift's stock with one conditional UPDATE (no row
    changed: not enough left)."""
    del actor, customer
    taken = (
        Gift.objects.filter(pk=item_id, is_active=True)
        .filter(Q(stock__isnull=True) | Q(stock__gte=quantity))
        .update(stock=F("stock") - quantity)
    )
    if not taken:
        raise ValidationError({"item_id": [_("礼品库存不足。")]})
    return str(item_id)


def gift_choices() -> list[tuple[int, str, int]]:
    gifts = Gift.objects.filter(is_active=True).filter(Q(stock__isnull=True) | Q(stock__gt=0))
    return [(g.pk, g.name, g.points_cost) for g in gifts]


def register_gifts() -> None:
    register_redeemable(
        Redeemable("gift", str(gettext_lazy("礼品")), gift_cost, gift_deliver, gift_choices)
    )
