"""A converted lead's history on its customer's timeline (registered in ``apps``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.customers.timeline import Cursor, TimelineEvent
from kehu.leads.models import ContactAttempt, LeadEvent


def lead_events(customer: Customer, cursor: Cursor | None, limit: int) -> list[TimelineEvent]:
    rows = LeadEvent.objects.filter(lead__customer=customer).select_related("actor", "lead")
    if cursor is not None:
        rows = rows.filter(cursor.q("lead", "at"))
    return [
        TimelineEvent(
            at=row.at,
            kind="lead",
            pk=row.pk,
            title=_("线索 #%(id)d：%(what)s") % {"id": row.lead_id, "what": row.get_kind_display()},
            detail=row.note,
            actor=row.actor.label if row.actor else "",
        )
        for row in rows.order_by("-at", "-id")[:limit]
    ]


def attempt_events(customer: Customer, cursor: Cursor | None, limit: int) -> list[TimelineEvent]:
    rows = ContactAttempt.objects.filter(lead__customer=customer).select_related("actor")
    if cursor is not None:
        rows = rows.filter(cursor.q("lead_attempt", "at"))
    return [
        TimelineEvent(
            at=row.at,
            kind="lead_attempt",
            pk=row.pk,
            title=_("线索联系：%(outcome)s") % {"outcome": row.get_outcome_display()},
            detail=row.note,
            actor=row.actor.label if row.actor else "",
        )
        for row in rows.order_by("-at", "-id")[:limit]
    ]
