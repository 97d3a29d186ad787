"""The lead's history (``LeadEvent``): every service writes one in its transaction."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kehu.accounts.models import User
from kehu.leads.models import Lead, LeadEvent

MAX_NOTE = 1000


def lead_event(
    lead: Lead,
    kind: str,
    *,
    actor: User | None,
    note: str = "",
    to_user: User | None = None,
    at: dt.datetime | None = None,
) -> LeadEvent:
    return LeadEvent.objects.create(
        lead=lead,
        kind=kind,
        actor=actor,
        note=note[:MAX_NOTE],
        to_user=to_user,
        at=at or timezone.now(),
    )
