"""Stage changes on the customer timeline (the badge in the colour of the stage reached,
as the stage badges elsewhere)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.customers.timeline import Cursor, TimelineEvent
from kehu.lifecycle.models import StageChange


def stage_change_events(
    customer: Customer, cursor: Cursor | None, limit: int
) -> list[TimelineEvent]:
    rows = StageChange.objects.filter(customer=customer)
    if cursor:
        rows = rows.filter(cursor.q("lifecycle", "at"))
    rows = rows.select_related("from_stage", "to_stage", "actor", "model").order_by("-at", "-pk")[
        :limit
    ]
    return [
        TimelineEvent(
            at=c.at,
            kind="lifecycle",
            pk=c.pk,
            title=_("%(model)s：%(from)s → %(to)s")
            % {
                "model": c.model.name,
                "from": c.from_stage.name if c.from_stage else "—",
                "to": c.to_stage.name,
            },
            detail=c.reason_text,
            actor=c.actor.label if c.actor else _("自动"),
            extra={"color": c.to_stage.color},  # the badge wears the stage's colour
        )
        for c in rows
    ]
