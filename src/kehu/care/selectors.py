"""Reads for the care pages, the card and the API, scoped to what the user may see.

``agenda_page(user, day)`` answers from the stored ``CareItem`` rows when the day is
built (``AgendaDay.done_at``), otherwise computes the day without writing (a preview,
e.g. next week's birthdays): the same rules, the same reasons.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.care import lunar
from kehu.care.access import care_items_q
from kehu.care.agenda import Entry, agenda_compute, festivals_on, next_festival
from kehu.care.cadence import customer_cadence_days, customer_tier
from kehu.care.models import AgendaDay, CareItem, CareRule, Festival, Reason
from kehu.core.dates import birthday_usable
from kehu.core.paging import PageNav
from kehu.customers.access import visibility_q
from kehu.customers.models import Customer
from kehu.customers.selectors import PageOutOfRange

PAGE_SIZE = 50
REASON_ORDER = [r.value for r in Reason]


@dataclass
class AgendaRow:
    """One line of the agenda page / API, stored or previewed."""

    customer: Customer
    reason: str
    note: str
    occurs_on: dt.date
    rule: CareRule | None
    item: CareItem | None  # None in a preview

    @property
    def reason_label(self) -> str:
        return str(Reason(self.reason).label)

    @property
    def is_greeting(self) -> bool:
        return self.reason in (Reason.BIRTHDAY, Reason.LUNAR_BIRTHDAY, Reason.FESTIVAL)


@dataclass
class AgendaPage(PageNav):
    day: dt.date
    rows: list[AgendaRow]
    count: int
    page: int
    page_size: int
    stored: bool  # built by the job (tasks/messages exist) or only previewed

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.page_size))


def day_is_built(day: dt.date) -> bool:
    return AgendaDay.objects.filter(date=day, done_at__isnull=False).exists()


def care_items_visible_to(user: User) -> QuerySet[CareItem]:
    if not user.is_active:
        return CareItem.objects.none()
    return CareItem.objects.filter(care_items_q(user))


def agenda_page(
    user: User,
    day: dt.date,
    *,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    reason: str | None = None,
) -> AgendaPage:
    if day_is_built(day):
        items = care_items_visible_to(user).filter(agenda_date=day)
        if reason:
            items = items.filter(reason=reason)
        count = items.count()
        _check_page(page, count, page_size)
        start = (page - 1) * page_size
        chosen = list(
            items.select_related(
                "customer", "customer__owner", "rule", "task", "task__assignee"
            ).order_by("reason", "id")[start : start + page_size]
        )
        rows = [
            AgendaRow(i.customer, i.reason, i.note_text, i.occurs_on, i.rule, i) for i in chosen
        ]
        return AgendaPage(day, rows, count, page, page_size, stored=True)
    entries = agenda_preview(user, day)
    if reason:
        entries = [e for e in entries if e.reason == reason]
    _check_page(page, len(entries), page_size)
    start = (page - 1) * page_size
    chosen_entries = entries[start : start + page_size]
    customers = Customer.objects.select_related("owner").in_bulk(
        [e.customer_id for e in chosen_entries]
    )
    rules = CareRule.objects.in_bulk({e.rule_id for e in chosen_entries})
    rows = [
        AgendaRow(
            customers[e.customer_id], e.reason, e.note, e.occurs_on, rules.get(e.rule_id), None
        )
        for e in chosen_entries
        if e.customer_id in customers
    ]
    return AgendaPage(day, rows, len(entries), page, page_size, stored=False)


GROUP_PAGE_SIZE = 25


@dataclass
class AgendaGroup(PageNav):
    """The lines of one reason (birthdays, festivals, cadence…): a page of them."""

    reason: str
    rows: list[AgendaRow]
    count: int
    page: int
    page_size: int

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.page_size))

    @property
    def reason_label(self) -> str:
        return str(Reason(self.reason).label)

    @property
    def param(self) -> str:
        """The query parameter of this group's page number."""
        return f"{self.reason}_page"


@dataclass
class AgendaGroups:
    day: dt.date
    groups: list[AgendaGroup]  # the reasons with lines, in ``Reason`` order
    stored: bool

    @property
    def count(self) -> int:
        return sum(g.count for g in self.groups)


def agenda_groups(
    user: User,
    day: dt.date,
    *,
    pages: Mapping[str, int] | None = None,
    page: int = 1,
    page_size: int = GROUP_PAGE_SIZE,
    reason: str | None = None,
) -> AgendaGroups:
    """The day's agenda grouped by reason, each group a page of its own (``pages``:
    reason → page; ``page``: the page of every group without one, clamped to its last).
    A fixed number of queries: the counts, then a page per reason. ``PageOutOfRange``
    for a page past the end."""
    pages = pages or {}
    if day_is_built(day):
        items = care_items_visible_to(user).filter(agenda_date=day)
        if reason:
            items = items.filter(reason=reason)
        counts = {
            row["reason"]: row["n"]
            for row in items.order_by().values("reason").annotate(n=Count("id"))
        }
        chosen = _pages_of(counts, pages, page, page_size)
        groups = []
        for key, number in chosen.items():
            start = (number - 1) * page_size
            rows = items.filter(reason=key).select_related(
                "customer", "customer__owner", "rule", "task", "task__assignee"
            )
            groups.append(
                AgendaGroup(
                    key,
                    [
                        AgendaRow(i.customer, i.reason, i.note_text, i.occurs_on, i.rule, i)
                        for i in rows.order_by("id")[start : start + page_size]
                    ],
                    counts[key],
                    number,
                    page_size,
                )
            )
        return AgendaGroups(day, groups, stored=True)
    by_reason: dict[str, list[Entry]] = {}
    for entry in agenda_preview(user, day):
        if not reason or entry.reason == reason:
            by_reason.setdefault(entry.reason, []).append(entry)
    chosen = _pages_of({k: len(v) for k, v in by_reason.items()}, pages, page, page_size)
    slices = {
        key: by_reason[key][(number - 1) * page_size : number * page_size]
        for key, number in chosen.items()
    }
    shown = [e for entries in slices.values() for e in entries]
    customers = Customer.objects.select_related("owner").in_bulk([e.customer_id for e in shown])
    rules = CareRule.objects.in_bulk({e.rule_id for e in shown})
    groups = [
        AgendaGroup(
            key,
            [
                AgendaRow(
                    customers[e.customer_id],
                    e.reason,
                    e.note,
                    e.occurs_on,
                    rules.get(e.rule_id),
                    None,
                )
                for e in entries
                if e.customer_id in customers
            ],
            len(by_reason[key]),
            chosen[key],
            page_size,
        )
        for key, entries in slices.items()
    ]
    return AgendaGroups(day, groups, stored=False)


def _pages_of(
    counts: Mapping[str, int], pages: Mapping[str, int], page: int, page_size: int
) -> dict[str, int]:
    """Reason → the page shown, in ``Reason`` order, for the reasons with lines."""
    chosen: dict[str, int] = {}
    widest = 1
    for key in REASON_ORDER:
        count = counts.get(key, 0)
        if not count:
            continue
        last = max(1, -(-count // page_size))
        widest = max(widest, last)
        asked = pages.get(key)
        if asked is not None and not 1 <= asked <= last:
            raise PageOutOfRange
        chosen[key] = asked if asked is not None else min(page, last)
    if not 1 <= page <= widest:
        raise PageOutOfRange
    return chosen


def agenda_preview(user: User, day: dt.date) -> list[Entry]:
    """The day's agenda for the customers ``user`` sees, computed, nothing written;
    ordered like the stored page (reason, then customer)."""
    if not user.is_active:
        return []
    customers = Customer.objects.filter(visibility_q(user), merged_into__isnull=True)
    entries = [e for chunk in agenda_compute(day, customers) for e in chunk]
    entries.sort(key=lambda e: (e.reason, e.customer_id, e.rule_id))
    return entries


def _check_page(page: int, count: int, page_size: int) -> None:
    if page < 1 or page > max(1, -(-count // page_size)):
        raise PageOutOfRange


# --- the customer card ---------------------------------------------------------------------


@dataclass
class CareDates:
    birthday: dt.date | None = None
    birthday_note: str = ""
    # A stored birthday nothing can be computed from (0001-01-01, 9999-12-31 in an old
    # row): shown as it is, with a word, instead of a next birthday.
    bad_birthday: dt.date | None = None
    festival: dt.date | None = None
    festival_names: str = ""
    cadence_days: int | None = None
    cadence_due: dt.date | None = None
    last_contact: dt.date | None = None
    upcoming: list[CareItem] | None = None


def customer_care_dates(customer: Customer, *, today: dt.date | None = None) -> CareDates:
    """The customer's next care dates: birthday (solar date, with the lunar note),
    festival, and when the contact cadence falls due. Whatever a stored row holds, the
    card shows: what cannot be computed from it is left out."""
    today = today or timezone.localdate()
    dates = CareDates()
    if customer.birthday and not birthday_usable(customer.birthday, today):
        dates.bad_birthday = customer.birthday
    elif customer.birthday:
        dates.birthday, dates.birthday_note = _next_birthday(
            customer.birthday, customer.birthday_is_lunar, today
        )
    festivals = list(Festival.objects.filter(active=True).order_by("position", "id"))
    found = next_festival(today, festivals)
    if found:
        dates.festival, names = found[0], found[1]
        dates.festival_names = _("、").join(f.name for f in names)
    dates.cadence_days = customer_cadence_days(customer, customer_tier(customer.pk))
    base = customer.last_contact_at or customer.created_at
    if base:
        try:
            start = timezone.localtime(base).date()
            dates.cadence_due = start + dt.timedelta(days=dates.cadence_days)
            dates.last_contact = (
                timezone.localtime(customer.last_contact_at).date()
                if customer.last_contact_at
                else None
            )
        except OverflowError:  # a last contact stored at the end of year 9999
            dates.cadence_due = dates.last_contact = None
    dates.upcoming = list(
        CareItem.objects.filter(customer=customer, occurs_on__gte=today - dt.timedelta(days=7))
        .select_related("task")
        .order_by("occurs_on", "id")[:5]
    )
    return dates


def _next_birthday(birthday: dt.date, is_lunar: bool, today: dt.date) -> tuple[dt.date, str]:
    from kehu.care.agenda import lunar_note

    if is_lunar:
        try:
            key = lunar.birth_key(birthday)
            celebration = lunar.next_lunar_birthday(birthday, today)
            year = lunar.solar_to_lunar(celebration.date).year
            return celebration.date, lunar_note(key, celebration, year)
        except lunar.LunarRangeError:
            pass
    celebration = lunar.next_solar_birthday(birthday, today)
    if celebration.moved:
        return celebration.date, _("公历生日（本年无2月29日，提前至2月28日）")
    return celebration.date, _("公历生日")


def festivals_of_day(day: dt.date) -> list[Festival]:
    return festivals_on(day, list(Festival.objects.filter(active=True)))


def rules_list() -> QuerySet[CareRule]:
    return (
        CareRule.objects.select_related("tag", "team", "owner")
        .prefetch_related("festivals")
        .order_by("kind", "id")
    )


def reason_choices() -> list[tuple[str, Any]]:
    return list(Reason.choices)
