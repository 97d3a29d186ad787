"""Computing the care agenda of a day: which customers are due for which rule, and why.

Reads only. ``agenda_compute(day, customers)`` streams ``customers`` in id order in
chunks (``values_list``, no model instances) and yields ``Entry`` tuples; the daily job
(``services.agenda_build``) writes them, the pages and the API preview them. Everything
date-related is prepared once per day and rule (``RulePlan``): the lunar birth keys that
celebrate on the target date (``lunar.celebrations_on``), the festivals on it, the
cadence thresholds; per customer there are only dictionary lookups and comparisons.

An entry carries the facts of its line (``params``, see ``kehu.care.texts``), not its
words: the few shapes a day has (a festival, a birthday on 8/15, "idle 90 of 90
days") are built once and shared by every customer they fit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Min, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from kehu.care import lunar
from kehu.care.cadence import CadenceTable, cadence_table, tier_reader
from kehu.care.models import AnniversaryKind, CareRule, Festival, Reason, RuleKind
from kehu.care.texts import care_note, lunar_birthday_params
from kehu.core.dates import FIRST_BIRTHDAY
from kehu.core.days import day_start
from kehu.customers.audiences import audience_members_q
from kehu.customers.models import Customer

CHUNK = 20_000
COLUMNS = (
    "id",
    "birthday",
    "birthday_is_lunar",
    "created_at",
    "last_contact_at",
    "owner_id",
    "team_id",
)


class Entry(NamedTuple):
    customer_id: int
    rule_id: int
    reason: str
    occurs_on: dt.date
    agenda_date: dt.date
    params: dict[str, Any]  # the line's facts (shared between entries: never changed)
    owner_id: int | None
    team_id: int | None

    @property
    def note(self) -> str:
        """The line's words in the active language."""
        return care_note(self.reason, self.params)


def festivals_on(day: dt.date, festivals: list[Festival]) -> list[Festival]:
    """The festivals (of ``festivals``) that fall on ``day``."""
    found = []
    lunar_day: lunar.LunarDay | None = None
    for festival in festivals:
        if festival.calendar == "solar":
            if (festival.month, festival.day) == (day.month, day.day):
                found.append(festival)
            continue
        try:
            if festival.is_new_year_eve:
                hit = lunar.is_new_year_eve(day)
            else:
                lunar_day = lunar_day or lunar.solar_to_lunar(day)
                hit = (
                    lunar.lunar_festival_date(lunar_day.year, festival.month, festival.day).date
                    == day
                )
        except lunar.LunarRangeError:
            hit = False
        if hit:
            found.append(festival)
    return found


def next_festival(day: dt.date, festivals: list[Festival]) -> tuple[dt.date, list[Festival]] | None:
    """The first day on or after ``day`` (within a year) with one of ``festivals``."""
    for offset in range(0, 400):
        on = day + dt.timedelta(days=offset)
        found = festivals_on(on, festivals)
        if found:
            return on, found
    return None


@lru_cache(maxsize=1024)
def _solar_params(month: int, day: int, moved: bool) -> dict[str, Any]:
    return {"month": month, "day": day, "moved": True} if moved else {"month": month, "day": day}


@lru_cache(maxsize=4096)
def _lunar_params(
    key: lunar.BirthKey, celebration: lunar.Celebration, lunar_year: int
) -> dict[str, Any]:
    return lunar_birthday_params(key, celebration, lunar_year)


def lunar_note(key: lunar.BirthKey, celebration: lunar.Celebration, lunar_year: int) -> str:
    """ "农历生日（八月十五）", with what moved and why, in the active language."""
    return care_note(Reason.LUNAR_BIRTHDAY, lunar_birthday_params(key, celebration, lunar_year))


@lru_cache(maxsize=65536)
def _anniversary_params(kind: str, years: int, start: dt.date) -> dict[str, Any]:
    return {"kind": kind, "years": years, "date": start.isoformat()}


@lru_cache(maxsize=1024)
def _visit_params(every: int) -> dict[str, Any]:
    return {"every": every}


@dataclass
class RulePlan:
    """One rule prepared for one agenda date."""

    rule: CareRule
    agenda_date: dt.date
    target: dt.date  # agenda_date + days_before: the birthday/festival/... date
    solar_keys: dict[tuple[int, int], bool] = field(default_factory=dict)  # (m, d) → moved
    lunar_keys: dict[lunar.BirthKey, lunar.Celebration] = field(default_factory=dict)
    lunar_year: int = 0
    festival_params: dict[str, Any] | None = None  # the festivals on the target date
    festival_ids: list[int] = field(default_factory=list)
    cadence_cutoffs: dict[int, dt.datetime] = field(default_factory=dict)
    idle: bool = False  # nothing can match (a festival rule on a day without festival)
    members: frozenset[int] | None = None  # the segment's customers (a rule with one)

    @property
    def has_scope(self) -> bool:
        rule = self.rule
        return bool(rule.owner_id or rule.team_id or rule.tag_id or rule.segment_id)

    def in_scope(
        self, customer_id: int, owner_id: int | None, team_id: int | None, tags: set[int]
    ) -> bool:
        rule = self.rule
        return (
            (rule.owner_id is None or owner_id == rule.owner_id)
            and (rule.team_id is None or team_id == rule.team_id)
            and (rule.tag_id is None or rule.tag_id in tags)
            and (self.members is None or customer_id in self.members)
        )


def _same_day_keys(target: dt.date) -> dict[tuple[int, int], bool]:
    keys = {(target.month, target.day): False}
    if (target.month, target.day) == (2, 28) and lunar.solar_birthday(
        dt.date(2000, 2, 29), target.year
    ).moved:
        keys[(2, 29)] = True
    return keys


def rule_plans(day: dt.date, rules: list[CareRule] | None = None) -> list[RulePlan]:
    """Every active rule prepared for ``day``."""
    if rules is None:
        rules = list(
            CareRule.objects.filter(active=True).prefetch_related("festivals").order_by("id")
        )
    active_festivals = list(Festival.objects.filter(active=True).order_by("position", "id"))
    plans = []
    for rule in rules:
        target = day + dt.timedelta(days=rule.days_before)
        plan = RulePlan(rule=rule, agenda_date=day, target=target)
        if rule.segment_id:
            plan.members = _segment_members(rule.segment_id)
        if rule.kind == RuleKind.BIRTHDAY:
            plan.solar_keys = _same_day_keys(target)
            try:
                plan.lunar_keys = lunar.celebrations_on(target)
                plan.lunar_year = lunar.solar_to_lunar(target).year
            except lunar.LunarRangeError:
                plan.lunar_keys = {}
        elif rule.kind == RuleKind.ANNIVERSARY:
            plan.solar_keys = _same_day_keys(target)
        elif rule.kind == RuleKind.FESTIVAL:
            chosen = {f.pk for f in rule.festivals.all()}
            pool = [f for f in active_festivals if not chosen or f.pk in chosen]
            found = festivals_on(target, pool)
            plan.festival_ids = [f.pk for f in found]
            plan.festival_params = {"festivals": [f.name for f in found]}
            plan.idle = not found
        plans.append(plan)
    return plans


def _segment_members(segment_id: int) -> frozenset[int]:
    """The ids of a segment's customers, read once per run (none once it is deleted)."""
    q = audience_members_q("segment", segment_id)
    if q is None:
        return frozenset()
    return frozenset(Customer.objects.filter(q).values_list("pk", flat=True))


@lru_cache(maxsize=65536)
def _parse_date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


class _Context:
    """What a run shares: active plans, cadences, cut-offs in the database's own form.

    Rows are read with a bare cursor (no ORM converters: they were most of the time at a
    million rows). On SQLite dates and datetimes arrive as ISO text (datetimes naive UTC),
    which sorts like the values, so cut-offs are compared as text and only the matches
    are parsed; PostgreSQL returns ``date``/``datetime`` objects.
    """

    def __init__(self, day: dt.date, plans: list[RulePlan], cadence: CadenceTable) -> None:
        self.day = day
        self.plans = [p for p in plans if not p.idle]
        self.cadence = cadence
        self.zone = timezone.get_default_timezone()
        self.text = connection.vendor == "sqlite"
        cadence_rules = any(p.rule.kind == RuleKind.CADENCE for p in self.plans)
        self.need_tags = (cadence_rules and cadence.uses_tags) or any(
            p.rule.tag_id for p in self.plans
        )
        # Star tiers (客户分级) from the latest value scoring: their cadence comes first.
        # Read only when a cadence rule is active (birthdays and festivals need none).
        self.tiers = tier_reader() if cadence_rules and cadence.by_tier else None
        self.first_purchase = any(
            p.rule.kind == RuleKind.ANNIVERSARY
            and p.rule.anniversary == AnniversaryKind.FIRST_PURCHASE
            for p in self.plans
        )
        # The cadence lines' facts, by (days idle or None, cadence): a few hundred shapes.
        self.cadence_params: dict[tuple[int | None, int], dict[str, Any]] = {}
        # Overdue when the last contact (or, never contacted, the creation) is before
        # the start of (target − days + 1): one cut-off per distinct cadence.
        for plan in self.plans:
            if plan.rule.kind == RuleKind.CADENCE:
                days = {cadence.default, *cadence.by_tag.values(), *cadence.by_tier.values()}
                plan.cadence_cutoffs = {
                    d: self.raw(day_start(plan.target - dt.timedelta(days=d - 1))) for d in days
                }

    def raw(self, moment: dt.datetime) -> Any:
        """``moment`` as the database returns it (to compare without parsing)."""
        if self.text:
            return moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
        return moment

    def date(self, value: Any) -> dt.date | None:
        if value is None or not self.text:
            return value  # type: ignore[no-any-return]
        return _parse_date(value)

    def local_date(self, value: Any) -> dt.date:
        """The local calendar day of a stored datetime."""
        if self.text:
            value = dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
        return value.astimezone(self.zone).date()  # type: ignore[no-any-return]


def _chunks(
    customers: QuerySet[Customer], need_tags: bool, text: bool
) -> Iterator[tuple[list[tuple[Any, ...]], dict[int, set[int]]]]:
    through = Customer.tags.through
    columns: tuple[str, ...] = COLUMNS
    if text:  # SQLite: dates as ISO text, not parsed per row by the driver's converters
        customers = customers.annotate(
            birthday_text=Cast("birthday", TextField()),
            created_text=Cast("created_at", TextField()),
            contact_text=Cast("last_contact_at", TextField()),
        )
        columns = (
            "id",
            "birthday_text",
            "birthday_is_lunar",
            "created_text",
            "contact_text",
            "owner_id",
            "team_id",
        )
    last = 0
    while True:
        query = customers.filter(pk__gt=last).order_by("pk").values_list(*columns)[:CHUNK]
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not rows:
            return
        tags: dict[int, set[int]] = defaultdict(set)
        if need_tags:
            for customer_id, tag_id in through.objects.filter(
                customer_id__gte=rows[0][0], customer_id__lte=rows[-1][0]
            ).values_list("customer_id", "tag_id"):
                tags[customer_id].add(tag_id)
        yield rows, tags
        last = rows[-1][0]


def _first_purchases(low: int, high: int) -> dict[int, dt.datetime]:
    from kehu.orders.models import Order, OrderStatus

    return dict(
        Order.objects.filter(customer_id__gte=low, customer_id__lte=high)
        .exclude(status=OrderStatus.CANCELLED)
        .values("customer_id")
        .annotate(first=Min("ordered_at"))
        .values_list("customer_id", "first")
    )


def agenda_compute(
    day: dt.date, customers: QuerySet[Customer], *, plans: list[RulePlan] | None = None
) -> Iterator[list[Entry]]:
    """The agenda of ``day`` for ``customers`` (live ones), chunk by chunk."""
    context = _Context(day, plans if plans is not None else rule_plans(day), cadence_table())
    if not context.plans:
        return
    customers = customers.filter(deleted_at__isnull=True)
    no_tags: set[int] = set()
    scoped = [(p, p.has_scope) for p in context.plans]
    for rows, tags in _chunks(customers, context.need_tags, context.text):
        firsts = _first_purchases(rows[0][0], rows[-1][0]) if context.first_purchase else {}
        tiers = context.tiers(rows[0][0], rows[-1][0]) if context.tiers is not None else {}
        entries: list[Entry] = []
        append = entries.append
        for row in rows:
            customer_tags = tags.get(row[0], no_tags)
            tier = tiers.get(row[0])
            tier_key = str(tier) if tier else None
            for plan, has_scope in scoped:
                if has_scope and not plan.in_scope(row[0], row[5], row[6], customer_tags):
                    continue
                if plan.festival_params and plan.rule.kind == RuleKind.FESTIVAL:
                    append(
                        Entry(
                            row[0],
                            plan.rule.pk,
                            Reason.FESTIVAL,
                            plan.target,
                            plan.agenda_date,
                            plan.festival_params,
                            row[5],
                            row[6],
                        )
                    )
                    continue
                entry = _match(context, plan, row, customer_tags, firsts, tier_key)
                if entry is not None:
                    append(entry)
        if entries:
            yield entries


def _entry(
    plan: RulePlan, row: tuple[Any, ...], reason: str, on: dt.date, params: dict[str, Any]
) -> Entry:
    return Entry(row[0], plan.rule.pk, reason, on, plan.agenda_date, params, row[5], row[6])


def _match(
    context: _Context,
    plan: RulePlan,
    row: tuple[Any, ...],
    tags: set[int],
    firsts: dict[int, dt.datetime],
    tier: str | None = None,
) -> Entry | None:
    customer_id, raw_birthday, is_lunar, created_at, last_contact_at = row[:5]
    kind = plan.rule.kind
    target = plan.target
    if kind == RuleKind.BIRTHDAY:
        birthday = context.date(raw_birthday)
        if birthday is None or not FIRST_BIRTHDAY <= birthday < target:
            return None  # none, not born yet, or an old row's 0001-01-01
        if is_lunar:
            try:
                key = lunar.birth_key(birthday)
            except lunar.LunarRangeError:
                key = None  # before 1900-01-31: celebrated on the solar date
            if key is not None:
                celebration = plan.lunar_keys.get(key)
                if celebration is None:
                    return None
                params = _lunar_params(key, celebration, plan.lunar_year)
                return _entry(plan, row, Reason.LUNAR_BIRTHDAY, target, params)
        moved = plan.solar_keys.get((birthday.month, birthday.day))
        if moved is None:
            return None
        params = _solar_params(birthday.month, birthday.day, moved)
        return _entry(plan, row, Reason.BIRTHDAY, target, params)
    if kind == RuleKind.CADENCE:
        days = context.cadence.days_for(tags, tier)
        base = last_contact_at or created_at
        if base is None or base >= plan.cadence_cutoffs[days]:
            return None
        start = context.local_date(base)
        due = start + dt.timedelta(days=days)
        idle = None if last_contact_at is None else (target - start).days
        shared = context.cadence_params.get((idle, days))
        if shared is None:
            shared = {"days": days} if idle is None else {"idle": idle, "days": days}
            context.cadence_params[(idle, days)] = shared
        return _entry(plan, row, Reason.CADENCE, due, shared)
    if kind == RuleKind.ANNIVERSARY:
        if plan.rule.anniversary == AnniversaryKind.MEMBERSHIP:
            kind = "membership"
            start = context.local_date(created_at)
        else:
            kind = "first_purchase"
            first = firsts.get(customer_id)  # through the ORM: an aware datetime
            if first is None:
                return None
            start = first.astimezone(context.zone).date()
        years = target.year - start.year
        moved = plan.solar_keys.get((start.month, start.day))
        if years < 1 or moved is None:
            return None
        params = _anniversary_params(kind, years, start)
        return _entry(plan, row, Reason.ANNIVERSARY, target, params)
    if kind == RuleKind.VISIT:
        every = plan.rule.every_days or 0
        # Staggered by customer id: each customer every N days, not all on one day.
        if every and (target.toordinal() + customer_id) % every == 0:
            return _entry(plan, row, Reason.VISIT, target, _visit_params(every))
    return None
