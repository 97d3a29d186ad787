"""Reads of interactions, scoped through the customer's visibility."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.customers.timeline import Cursor, TimelineEvent
from kehu.interactions.models import Interaction


def interaction_events(
    customer: Customer, cursor: Cursor | None, limit: int
) -> list[TimelineEvent]:
    rows = Interaction.objects.filter(customer=customer)
    if cursor:
        rows = rows.filter(cursor.q("interaction", "occurred_at"))
    rows = rows.select_related("user", "contact").order_by("-occurred_at", "-pk")[:limit]
    events = []
    for r in rows:
        title = f"{r.get_kind_display()} · {r.get_direction_display()}"
        # A contact's name is contact data (hidden with the contacts card).
        masked = None
        if r.contact:
            masked = title
            title += f" · {r.contact.name}"
        parts = [r.notes]
        if r.outcome:
            parts.insert(0, _("结果：%(outcome)s") % {"outcome": r.outcome})
        if r.next_step:
            parts.append(_("下一步：%(step)s") % {"step": r.next_step})
        detail = "\n".join(p for p in parts if p)
        events.append(
            TimelineEvent(
                at=r.occurred_at,
                kind="interaction",
                pk=r.pk,
                title=title,
                detail=detail,
                actor=r.user.label if r.user else "",
                extra={"duration": r.duration_minutes},
                masked=(masked, detail) if masked is not None else None,
            )
        )
    return events
