"""Opportunities nobody touched for ``KEHU_OPPORTUNITY_STALE_DAYS`` days are flagged to
their owner: a follow-up task (a call, due now) with the opportunity's name.

Run nightly (``tasks.py``); safe twice, concurrently or after a worker died half-way:
each opportunity is claimed with a conditional UPDATE of its sent-marker
(``stale_flagged_for`` := the ``last_activity_at`` it is flagged for) in the same
transaction as its task, so one period of inactivity makes one task, ever. New
activity (a change, a move, a touch logged with the customer) moves
``last_activity_at``; if it goes quiet again, it is flagged again.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from kehu.customers.access import can_log_interaction
from kehu.followups.models import TaskKind
from kehu.followups.services import task_create
from kehu.pipeline import texts
from kehu.pipeline.models import Opportunity, Status

logger = logging.getLogger(__name__)


@dataclass
class StaleReport:
    flagged: int = 0
    tasks: int = 0
    no_owner: int = 0  # flagged, but its owner cannot follow the customer up


def stale_q(now: dt.datetime, days: int) -> Q:
    """Open, live and untouched for ``days`` days."""
    return Q(
        status=Status.OPEN,
        deleted_at__isnull=True,
        customer__deleted_at__isnull=True,
        last_activity_at__lt=now - dt.timedelta(days=days),
    )


def opportunities_flag_stale(
    *, now: dt.datetime | None = None, days: int | None = None, batch: int = 1000
) -> StaleReport:
    now = now or timezone.now()
    days = settings.KEHU_OPPORTUNITY_STALE_DAYS if days is None else days
    report = StaleReport()
    unflagged = Q(stale_flagged_for__isnull=True) | ~Q(stale_flagged_for=F("last_activity_at"))
    candidates = list(
        Opportunity.objects.filter(stale_q(now, days))
        .filter(unflagged)
        .order_by("last_activity_at", "id")
        .values_list("pk", "last_activity_at")[:batch]
    )
    for pk, activity_at in candidates:
        with transaction.atomic():
            claimed = (
                Opportunity.objects.filter(pk=pk, last_activity_at=activity_at)
                .filter(unflagged)
                .update(stale_flagged_for=activity_at)
            )
            if not claimed:  # another run flagged it, or it was touched meanwhile
                continue
            report.flagged += 1
            if _task(pk, now, activity_at):
                report.tasks += 1
            else:
                report.no_owner += 1
    return report


def _task(pk: int, now: dt.datetime, activity_at: dt.datetime) -> bool:
    opportunity = Opportunity.objects.select_related("customer", "owner").get(pk=pk)
    owner, customer = opportunity.owner, opportunity.customer
    if owner is None or not owner.is_active or not can_log_interaction(owner, customer):
        logger.warning("stale opportunity %s: its owner cannot follow the customer up", pk)
        return False
    task_create(
        actor=owner,
        customer=customer,
        assignee=owner,
        message=texts.STALE,
        params={
            "name": opportunity.name,
            "customer": customer.name,
            "days": max(1, (now - activity_at).days),
            "opportunity_id": opportunity.pk,
        },
        data={"kind": TaskKind.CALL, "due_at": now},
    )
    return True
