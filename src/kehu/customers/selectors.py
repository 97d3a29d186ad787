"""Reads of customers, already scoped to what the actor may see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import User
from kehu.core.paging import PageNav, pages_for
from kehu.customers.access import contact_data_hidden, contact_data_visible_q, visibility_q
from kehu.customers.audiences import audience_for
from kehu.customers.models import (
    ChangeAction,
    Contact,
    Customer,
    CustomerChange,
    CustomerMerge,
    CustomerPhone,
    CustomFieldDefinition,
    DuplicatePair,
    OwnerChange,
)
from kehu.customers.search import search_page
from kehu.customers.timeline import Cursor, TimelineEvent

SORTS = {
    "-id": ("-id",),
    "id": ("id",),
    "name": ("name_pinyin", "id"),
    "-name": ("-name_pinyin", "-id"),
    "-updated": ("-updated_at", "-id"),
    "updated": ("updated_at", "id"),
}


def customers_visible_to(user: User) -> QuerySet[Customer]:
    return Customer.objects.alive().filter(visibility_q(user))


@dataclass
class CustomerFilters:
    q: str = ""
    owner: int | None = None
    pool: bool = False
    team: int | None = None
    tag: int | None = None
    province: str = ""
    city: str = ""
    source: str = ""
    kind: str = ""
    industry: str = ""
    sort: str = "-id"
    segment: int | None = None  # an audience (``audiences``): the members of a segment
    winback: int | None = None  # an audience: the win-back list (``?winback=1``)

    def as_q(self) -> dict[str, object]:
        lookups: dict[str, object] = {}
        if self.pool:
            lookups["owner__isnull"] = True
        elif self.owner:
            lookups["owner_id"] = self.owner
        if self.team:
            lookups["team_id"] = self.team
        if self.tag:
            lookups["tags__id"] = self.tag
        if self.province:
            lookups["province"] = self.province
        if self.city:
            lookups["city"] = self.city
        if self.source:
            lookups["source_channel"] = self.source
        if self.kind:
            lookups["kind"] = self.kind
        if self.industry:
            lookups["industry"] = self.industry
        return lookups


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def customer_filters_from(get: Mapping[str, str]) -> CustomerFilters:
    """The list's filters from its query string (the page, its export, the API's export)."""
    sort = get.get("sort", "-id")
    return CustomerFilters(
        q=get.get("q", "")[:100],
        owner=_int_or_none(get.get("owner")),
        pool=get.get("pool") == "1",
        team=_int_or_none(get.get("team")),
        tag=_int_or_none(get.get("tag")),
        province=get.get("province", "")[:32],
        city=get.get("city", "")[:32],
        source=get.get("source", "")[:20],
        kind=get.get("kind", "")[:10],
        sort=sort if sort in SORTS else "-id",
        segment=_int_or_none(get.get("segment")),
        winback=_int_or_none(get.get("winback")),
    )


def filters_scope(user: User, filters: CustomerFilters) -> Q:
    """What the list shows for ``filters``, as a filter over Customer rows: the user's
    visibility, the field filters and the audience (``Http404`` for a segment the user
    may not see)."""
    extra = filters.as_q()
    scope = visibility_q(user) & Q(**extra) if extra else visibility_q(user)
    if filters.segment:
        scope &= audience_for(user, "segment", filters.segment).q
    if filters.winback:
        scope &= audience_for(user, "winback", filters.winback).q
    return scope


@dataclass
class CustomerPage(PageNav):
    items: list[Customer]
    page: int
    page_size: int
    count: int
    count_is_capped: bool = False
    num_pages: int = 1
    filters: CustomerFilters = field(default_factory=CustomerFilters)


def _list_prefetch(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    return customers.select_related("owner", "team").prefetch_related(
        Prefetch("phones", queryset=CustomerPhone.objects.order_by("-is_primary", "id")),
        "tags",
    )


class PageOutOfRange(Exception):
    pass


def customer_list(
    user: User, filters: CustomerFilters, *, page: int = 1, page_size: int | None = None
) -> CustomerPage:
    """One page of the customers ``user`` may see, filtered, searched and sorted.

    Search results are newest first; counts of searches are capped (counting every
    match of a one-character query is the slow part of a search).
    """
    page_size = page_size or settings.KEHU_PAGE_SIZE
    if page < 1:
        raise PageOutOfRange
    scope = filters_scope(user, filters)
    offset = (page - 1) * page_size
    capped = False
    if filters.q.strip():
        found = search_page(
            filters.q,
            scope,
            contact_visible=contact_data_visible_q(user),
            limit=page_size,
            offset=offset,
            cap=settings.KEHU_SEARCH_COUNT_CAP,
        )
        ids, count, capped = found.ids, found.count, found.capped
        by_id = {c.pk: c for c in _list_prefetch(Customer.objects.filter(pk__in=ids))}
        items = [by_id[i] for i in ids if i in by_id]
    else:
        customers = Customer.objects.alive().filter(scope)
        if filters.tag:
            customers = customers.distinct()
        # Counting every row of a big filter is the slow part of a list page: count up
        # to a cap ("10,000+"), like a search.
        cap = settings.KEHU_LIST_COUNT_CAP
        count = customers.order_by()[: cap + 1].count()
        capped = count > cap
        count = min(count, cap)
        order = SORTS.get(filters.sort, SORTS["-id"])
        items = list(_list_prefetch(customers.order_by(*order))[offset : offset + page_size])
    num_pages = pages_for(count, page_size, page, capped=capped)
    if page > num_pages:
        raise PageOutOfRange
    return CustomerPage(
        items=items,
        page=page,
        page_size=page_size,
        count=count,
        count_is_capped=capped,
        num_pages=num_pages,
        filters=filters,
    )


def customer_detail(customer: Customer) -> Customer:
    """Load what the customer page shows in a fixed number of queries."""
    return (
        _list_prefetch(Customer.objects.filter(pk=customer.pk))
        .prefetch_related(
            Prefetch("contacts", queryset=Contact.objects.order_by("-is_primary", "id"))
        )
        .get()
    )


# What stands where contact data a reader may not see would be (the detail view's words).
CONTACT_DATA_MASK = gettext_lazy("领取后可见")


@dataclass(frozen=True)
class ChangeEntry:
    """A history entry as one reader may read it: values that are contact data the
    reader may not see (``access.contact_data_hidden``) are left out (``masked``)."""

    at: dt.datetime
    actor: str
    action: str
    action_label: str
    field: str
    old_value: str
    new_value: str
    masked: bool = False


# Entries that are a note rather than a field's old → new: create, delete, restore,
# and the merged record's "merged into #id name".
NOTE_FIELDS = frozenset({"", "merged_into"})


def change_entry(change: CustomerChange, *, hide_contact_data: bool) -> ChangeEntry:
    masked = hide_contact_data and change.contact_data
    return ChangeEntry(
        at=change.at,
        actor=change.actor.label if change.actor else str(_("系统")),
        action=change.action,
        action_label=str(change.get_action_display()),
        field="" if change.field in NOTE_FIELDS else change.field,
        old_value="" if masked else change.old_value,
        new_value="" if masked else change.new_value,
        masked=masked,
    )


def customer_changes(customer: Customer, *, viewer: User, limit: int = 50) -> list[ChangeEntry]:
    """The customer's change history, newest first, as ``viewer`` may read it."""
    hidden = contact_data_hidden(viewer, customer)
    rows = customer.changes.select_related("actor").order_by("-at", "-id")[:limit]
    return [change_entry(row, hide_contact_data=hidden) for row in rows]


def custom_field_definitions() -> list[CustomFieldDefinition]:
    return list(CustomFieldDefinition.objects.filter(is_active=True).order_by("position", "id"))


def owner_changes(customer: Customer, *, limit: int = 50) -> list[OwnerChange]:
    """The customer's owner history, newest first."""
    return list(
        OwnerChange.objects.filter(customer=customer)
        .select_related("from_user", "to_user", "actor")
        .order_by("-at", "-id")[:limit]
    )


def duplicate_pairs(user: User, *, customer_id: int | None = None) -> QuerySet[DuplicatePair]:
    """Open duplicate pairs whose two customers ``user`` may both see, best first."""
    visible = Customer.objects.alive().filter(visibility_q(user)).values("pk")
    pairs = DuplicatePair.objects.filter(
        dismissed_at__isnull=True, customer_a__in=visible, customer_b__in=visible
    )
    if customer_id is not None:
        pairs = pairs.filter(Q(customer_a_id=customer_id) | Q(customer_b_id=customer_id))
    return pairs.select_related(
        "customer_a", "customer_b", "customer_a__owner", "customer_b__owner"
    ).order_by("-score", "customer_a_id", "customer_b_id")


def merges_of(customer: Customer) -> list[CustomerMerge]:
    return list(
        CustomerMerge.objects.filter(survivor=customer)
        .select_related("merged", "actor", "undone_by")
        .order_by("-at")[:20]
    )


# --- timeline sources --------------------------------------------------------------------


def owner_change_events(
    customer: Customer, cursor: Cursor | None, limit: int
) -> list[TimelineEvent]:
    rows = OwnerChange.objects.filter(customer=customer)
    if cursor:
        rows = rows.filter(cursor.q("owner", "at"))
    rows = rows.select_related("from_user", "to_user", "actor").order_by("-at", "-pk")[:limit]
    pool = str(_("公海"))
    return [
        TimelineEvent(
            at=r.at,
            kind="owner",
            pk=r.pk,
            title=f"{r.get_kind_display()}{_('：')}{r.from_user.label if r.from_user else pool} → "
            f"{r.to_user.label if r.to_user else pool}",
            detail=r.reason_text,
            actor=r.actor.label if r.actor else str(_("系统")),
        )
        for r in rows
    ]


SPECIAL_LABELS = {
    "phones": gettext_lazy("电话"),
    "tags": gettext_lazy("标签"),
    "owner": gettext_lazy("负责人"),
    "contacts": gettext_lazy("联系人"),
    "primary_contact": gettext_lazy("主要联系人"),
}


def field_label(name: str) -> str:
    """The verbose name of a customer field named in the change history."""
    if name.startswith("custom:"):
        return name.split(":", 1)[1]
    if name in SPECIAL_LABELS:
        return str(SPECIAL_LABELS[name])
    try:
        return str(getattr(Customer._meta.get_field(name), "verbose_name", name))
    except Exception:
        return name


def field_change_events(
    customer: Customer, cursor: Cursor | None, limit: int
) -> list[TimelineEvent]:
    rows = CustomerChange.objects.filter(customer=customer)
    if cursor:
        rows = rows.filter(cursor.q("change", "at"))
    rows = rows.select_related("actor").order_by("-at", "-pk")[:limit]
    events = []
    for r in rows:
        if r.field not in NOTE_FIELDS:
            title = str(_("修改 %(field)s") % {"field": field_label(r.field)})
            if r.action != ChangeAction.UPDATE:
                title = f"{r.get_action_display()} · {title}"
            detail = f"{r.old_value or _('（空）')} → {r.new_value or _('（空）')}"
        else:
            title, detail = str(r.get_action_display()), r.new_value
        events.append(
            TimelineEvent(
                at=r.at,
                kind="change",
                pk=r.pk,
                title=title,
                detail=detail,
                actor=r.actor.label if r.actor else str(_("系统")),
                masked=(title, str(CONTACT_DATA_MASK)) if r.contact_data else None,
            )
        )
    return events
