"""How often a customer should be contacted (回访周期): the one place that decides it.

Today the cadence comes from the customer's tags (``CadenceRule``: the shortest cadence
of the customer's tags, else the default row, else ``DEFAULT_DAYS``).

Star tiers (客户分级) come first when an app provides them: the value app registers a
``TierSource`` from its ``AppConfig.ready`` (care sits below value and does not import
it). A tier's cadence then takes precedence over the tag cadence. Every caller (the
agenda, the customer's care and value cards) goes through ``days_for``; for one
customer, ``customer_cadence_days``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kehu.customers.models import Customer

DEFAULT_DAYS = 90

# The star tiers of the customers with ids from low to high (customer id → tier).
TierReader = Callable[[int, int], dict[int, int]]


@dataclass(frozen=True)
class TierSource:
    """Star tiers and their cadences, as the app that scores customers provides them.

    ``cadence()``: tier → days between contacts. ``reader()``: the tiers of the latest
    usable scoring, fixed for as long as the caller keeps the reader (one agenda run
    reads one scoring), or None when nothing has been scored yet.
    """

    cadence: Callable[[], dict[int, int]]
    reader: Callable[[], TierReader | None]


_tier_source: TierSource | None = None


def register_tier_source(source: TierSource) -> None:
    global _tier_source
    _tier_source = source


def tier_reader() -> TierReader | None:
    """The latest scoring's tiers (None: no tier source, or nothing scored yet)."""
    return _tier_source.reader() if _tier_source is not None else None


def customer_tier(customer_id: int) -> int | None:
    """The customer's star tier in the latest usable scoring (None: not scored)."""
    reader = tier_reader()
    return reader(customer_id, customer_id).get(customer_id) if reader is not None else None


@dataclass(frozen=True)
class CadenceTable:
    default: int = DEFAULT_DAYS
    by_tag: dict[int, int] = field(default_factory=dict)
    by_tier: dict[str, int] = field(default_factory=dict)  # from the tier source

    def days_for(self, tag_ids: Iterable[int] = (), tier: str | None = None) -> int:
        if tier is not None and tier in self.by_tier:
            return self.by_tier[tier]
        days = [self.by_tag[t] for t in tag_ids if t in self.by_tag]
        return min(days) if days else self.default

    @property
    def uses_tags(self) -> bool:
        return bool(self.by_tag)


def cadence_table() -> CadenceTable:
    from kehu.care.models import CadenceRule

    default = DEFAULT_DAYS
    by_tag: dict[int, int] = {}
    for tag_id, days in CadenceRule.objects.values_list("tag_id", "days"):
        if tag_id is None:
            default = days
        else:
            by_tag[tag_id] = days
    tiers = _tier_source.cadence() if _tier_source is not None else {}
    by_tier = {str(tier): days for tier, days in tiers.items()}
    return CadenceTable(default=default, by_tag=by_tag, by_tier=by_tier)


def customer_cadence_days(customer: Customer, tier: int | None) -> int:
    """The days between contacts ``customer`` should have: its star tier's cadence,
    else the shortest of its tags', else the default (the customer's tags are read only
    when no tier decides)."""
    table = cadence_table()
    tier_key = str(tier) if tier else None
    if tier_key is not None and tier_key in table.by_tier:
        return table.by_tier[tier_key]
    return table.days_for(customer.tags.values_list("pk", flat=True))
