"""How many points an order earns: the active earn rules, read once per batch, applied
to plain values (no queries here)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from kehu.care import lunar
from kehu.loyalty.models import BirthdayScope, EarnRule, EarnRuleKind

ONE = Decimal(1)


@dataclass
class Rules:
    rate: Decimal = Decimal(0)  # points per ¥1
    products: dict[int, Decimal] = field(default_factory=dict)
    categories: dict[str, Decimal] = field(default_factory=dict)
    channels: dict[str, Decimal] = field(default_factory=dict)
    birthday: list[tuple[str, Decimal]] = field(default_factory=list)

    @property
    def reads_lines(self) -> bool:
        return bool(self.products or self.categories)


def rules_load() -> Rules:
    rules = Rules()
    for rule in EarnRule.objects.filter(is_active=True):
        if rule.kind == EarnRuleKind.AMOUNT:
            rules.rate = max(rules.rate, rule.points_per_yuan)
        elif rule.kind == EarnRuleKind.PRODUCT and rule.product_id is not None:
            old = rules.products.get(rule.product_id, ONE)
            rules.products[rule.product_id] = max(old, rule.multiplier)
        elif rule.kind == EarnRuleKind.CATEGORY and rule.category:
            old = rules.categories.get(rule.category, ONE)
            rules.categories[rule.category] = max(old, rule.multiplier)
        elif rule.kind == EarnRuleKind.CHANNEL and rule.channel:
            rules.channels[rule.channel] = max(
                rules.channels.get(rule.channel, ONE), rule.multiplier
            )
        elif rule.kind == EarnRuleKind.BIRTHDAY:
            rules.birthday.append((rule.birthday_scope or BirthdayScope.MONTH, rule.multiplier))
    return rules


def is_birthday(birthday: dt.date | None, lunar_birthday: bool, day: dt.date, scope: str) -> bool:
    """Whether ``day`` is in the birthday's month (or on the day itself), solar or, for
    a customer who keeps the lunar birthday, lunar."""
    if birthday is None:
        return False
    if not lunar_birthday:
        if scope == BirthdayScope.DAY:
            return lunar.solar_birthday(birthday, day.year).date == day
        return birthday.month == day.month
    try:
        key = lunar.birth_key(birthday)
        today = lunar.solar_to_lunar(day)
        if scope == BirthdayScope.DAY:
            return lunar.lunar_birthday(birthday, today.year).date == day
        return key.month == today.month and not today.leap
    except lunar.LunarRangeError:
        return False


@dataclass(frozen=True)
class OrderFacts:
    amount: Decimal  # what the order earns on: paid total less refunds
    channel: str
    day: dt.date  # the order's local date
    birthday: dt.date | None
    lunar_birthday: bool
    lines: tuple[tuple[Decimal, int, str], ...] = ()  # (amount, product id, category)


def order_points(rules: Rules, facts: OrderFacts) -> int:
    if rules.rate <= 0 or facts.amount <= 0:
        return 0
    weight = ONE
    if rules.reads_lines and facts.lines:
        total = sum((amount for amount, _p, _c in facts.lines), Decimal(0))
        if total > 0:
            weighted = sum(
                (
                    amount
                    * max(
                        rules.products.get(product, ONE),
                        rules.categories.get(category, ONE),
                    )
                    for amount, product, category in facts.lines
                ),
                Decimal(0),
            )
            weight = weighted / total
    weight *= rules.channels.get(facts.channel, ONE)
    birthday = [
        multiplier
        for scope, multiplier in rules.birthday
        if is_birthday(facts.birthday, facts.lunar_birthday, facts.day, scope)
    ]
    if birthday:
        weight *= max(birthday)
    points = (facts.amount * rules.rate * weight).to_integral_value(rounding=ROUND_FLOOR)
    return max(int(points), 0)
