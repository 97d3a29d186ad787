"""Reads of segments: the list a user sees, a segment's count and members (only the
customers the reader may see), the live preview of a rule being edited, its sizes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from kehu.accounts.models import User
from kehu.core.paging import QueryPage, query_page
from kehu.customers.access import visibility_q
from kehu.customers.models import Customer, CustomerPhone
from kehu.customers.selectors import PageOutOfRange
from kehu.segments.access import segments_visible_to
from kehu.segments.audience import rule_errors, rule_filter, segment_q
from kehu.segments.models import Segment, SegmentSnapshot

SAMPLE = 20
# The live preview counts exactly up to this many matches and says "N+" above it (a
# bounded count keeps the editor fast on a large base; the saved segment counts all).
PREVIEW_CAP = 100_000


def segments_list(user: User) -> list[Segment]:
    return list(segments_visible_to(user).select_related("owner", "team").order_by("name", "pk"))


def segment_choices(user: User) -> list[tuple[int, str]]:
    """The segments ``user`` may pick as an audience: (id, name), by name."""
    rows = segments_visible_to(user).order_by("name", "pk").values_list("pk", "name")
    return [(pk, name) for pk, name in rows]


def members(user: User, segment: Segment, now: dt.datetime | None = None) -> QuerySet[Customer]:
    """The members of ``segment`` that ``user`` may see."""
    return Customer.objects.alive().filter(visibility_q(user)).filter(segment_q(segment, now))


def segment_count(user: User, segment: Segment) -> int:
    return members(user, segment).count()


def segment_page(user: User, segment: Segment, page: int = 1) -> QueryPage[Customer]:
    rows = (
        members(user, segment)
        .select_related("owner", "team")
        .prefetch_related(
            Prefetch("phones", queryset=CustomerPhone.objects.order_by("-is_primary", "id")),
            "tags",
        )
        .order_by("-pk")
    )
    found = query_page(rows, page, settings.KEHU_PAGE_SIZE)
    if found is None:
        raise PageOutOfRange
    return found


@dataclass(frozen=True)
class Preview:
    errors: list[str]
    count: int = 0
    capped: bool = False
    sample: tuple[Customer, ...] = ()


def rule_preview(user: User, rule: Any) -> Preview:
    """What the builder shows while editing: the rule's problems, or how many of the
    customers ``user`` sees match it (exact up to ``PREVIEW_CAP``) and 20 of them."""
    errors = rule_errors(rule)
    if errors or not isinstance(rule, Mapping):
        return Preview(errors)
    rows = Customer.objects.alive().filter(visibility_q(user)).filter(rule_filter(rule))
    count = rows[: PREVIEW_CAP + 1].count()
    sample = tuple(rows.select_related("owner").order_by("-pk")[:SAMPLE])
    return Preview([], min(count, PREVIEW_CAP), count > PREVIEW_CAP, sample)


def sizes(segment: Segment, days: int = 90) -> list[tuple[dt.date, int]]:
    """The segment's nightly sizes, oldest first (the last ``days`` of them)."""
    rows = SegmentSnapshot.objects.filter(segment=segment).order_by("-date")[:days]
    return [(row.date, row.size) for row in reversed(rows)]
