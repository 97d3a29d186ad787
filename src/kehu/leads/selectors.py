"""Reads of leads, scoped by what the reader may see (``access.leads_visible_to``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from kehu.accounts.models import User
from kehu.core.paging import QueryPage, query_page
from kehu.customers.selectors import PageOutOfRange
from kehu.leads.access import leads_visible_to
from kehu.leads.models import OPEN_STATUSES, ContactAttempt, Lead, LeadEvent

PAGE_SIZE = 25


@dataclass(frozen=True)
class LeadFilters:
    status: str = ""
    source_channel: str = ""
    q: str = ""
    mine: bool = False
    pool: bool = False


def lead_rows(actor: User, filters: LeadFilters) -> QuerySet[Lead]:
    rows = leads_visible_to(actor).select_related("owner", "team", "campaign")
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.source_channel:
        rows = rows.filter(source_channel=filters.source_channel)
    if filters.mine:
        rows = rows.filter(owner=actor)
    if filters.pool:
        rows = rows.filter(owner__isnull=True, status__in=OPEN_STATUSES)
    text = filters.q.strip()
    if text:
        digits = "".join(c for c in text if c.isdigit())
        match = Q(name__icontains=text) | Q(company__icontains=text)
        if len(digits) >= 4:
            match |= Q(phone__endswith=digits)
        rows = rows.filter(match)
    return rows.order_by("-id")


def lead_list(
    actor: User, filters: LeadFilters, *, page: int = 1, page_size: int = PAGE_SIZE
) -> QueryPage[Lead]:
    found = query_page(lead_rows(actor, filters), page, page_size)
    if found is None:
        raise PageOutOfRange
    return found


def lead_attempts(lead: Lead) -> list[ContactAttempt]:
    return list(lead.attempts.select_related("actor").order_by("-at", "-id")[:200])


def lead_history(lead: Lead) -> list[LeadEvent]:
    return list(lead.events.select_related("actor", "to_user").order_by("-at", "-id")[:200])
