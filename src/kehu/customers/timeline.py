"""One timeline per customer, newest first, of everything that happened to it.

Each app that records events about a customer registers a source once, in its
``AppConfig.ready``::

    register_timeline_source("order", _("订单"), order_events)

A source is ``fn(customer, cursor, limit) -> list[TimelineEvent]``: at most ``limit``
events older than ``cursor`` (all when it is ``None``), newest first; ``cursor.q(...)``
builds the filter. A page asks every selected source for ``limit`` events and keeps
the newest ``limit`` of them: one query per source per page, however long the
history.

An event whose title or detail carries the customer's contact data (a phone, an
e-mail, a contact's name...) says so with ``masked``: the words to show instead.
``customer_timeline`` shows those to a reader who may not see the customer's contact
data (``access.contact_data_hidden``, the detail view's rule), and to no reader at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Q
from django.utils.functional import Promise

from kehu.accounts.models import User
from kehu.customers.access import contact_data_hidden
from kehu.customers.models import Customer


@dataclass(frozen=True)
class TimelineEvent:
    at: dt.datetime
    kind: str
    pk: int
    title: str
    detail: str = ""
    actor: str = ""
    url: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # (title, detail) without the contact data, for readers who may not see it; None:
    # the event carries none.
    masked: tuple[str, str] | None = field(default=None, compare=False, hash=False)

    @property
    def label(self) -> str:
        """The badge: the label its source registered (in the active language)."""
        source = _SOURCES.get(self.kind)
        return str(source.label) if source else self.kind

    @property
    def sort_key(self) -> tuple[dt.datetime, str, int]:
        return (self.at, self.kind, self.pk)

    def without_contact_data(self) -> TimelineEvent:
        if self.masked is None:
            return self
        title, detail = self.masked
        return replace(self, title=title, detail=detail, masked=None)


@dataclass(frozen=True)
class Cursor:
    """The last event of the previous page: the next page has everything older."""

    at: dt.datetime
    kind: str
    pk: int

    def q(self, kind: str, at_field: str, pk_field: str = "pk") -> Q:
        """Rows of ``kind`` that sort after this cursor (newest first by at, kind, pk)."""
        older = Q(**{f"{at_field}__lt": self.at})
        if kind < self.kind:
            return older | Q(**{at_field: self.at})
        if kind == self.kind:
            return older | Q(**{at_field: self.at, f"{pk_field}__lt": self.pk})
        return older

    def encode(self) -> str:
        return f"{self.at.isoformat()}~{self.kind}~{self.pk}"

    @classmethod
    def decode(cls, raw: str | None) -> Cursor | None:
        if not raw:
            return None
        try:
            at, kind, pk = raw.split("~")
            moment = dt.datetime.fromisoformat(at)
            if moment.tzinfo is None:
                return None
            return cls(moment, kind[:20], int(pk))
        except (ValueError, TypeError):
            return None


Source = Callable[[Customer, Cursor | None, int], list[TimelineEvent]]


@dataclass(frozen=True)
class _Registered:
    kind: str
    label: str | Promise
    fn: Source


_SOURCES: dict[str, _Registered] = {}


def register_timeline_source(kind: str, label: str | Promise, fn: Source) -> None:
    _SOURCES[kind] = _Registered(kind, label, fn)


def timeline_kinds() -> list[tuple[str, str]]:
    return [(s.kind, str(s.label)) for s in _SOURCES.values()]


@dataclass
class TimelinePage:
    events: list[TimelineEvent]
    next_cursor: Cursor | None


def customer_timeline(
    customer: Customer,
    *,
    viewer: User | None = None,
    kinds: Iterable[str] | None = None,
    cursor: Cursor | None = None,
    limit: int = 20,
) -> TimelinePage:
    """A page of ``customer``'s timeline as ``viewer`` may read it (no viewer: as one
    who may not see the customer's contact data)."""
    wanted = [s for s in _SOURCES.values() if kinds is None or s.kind in set(kinds)]
    events: list[TimelineEvent] = []
    for source in wanted:
        events.extend(source.fn(customer, cursor, limit + 1))
    events.sort(key=lambda e: e.sort_key, reverse=True)
    page = events[:limit]
    more = len(events) > limit
    last = page[-1] if page else None
    if viewer is None or contact_data_hidden(viewer, customer):
        page = [event.without_contact_data() for event in page]
    return TimelinePage(
        events=page,
        next_cursor=Cursor(last.at, last.kind, last.pk) if more and last else None,
    )
