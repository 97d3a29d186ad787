"""What starts a playbook by itself:

* entering a stage — the lifecycle's ``stage_entered`` event, in the move's transaction
  (first placements, ``how == "initial"``, only for playbooks that include them);
* churn risk at or above a threshold, a drop of stars between the last two scorings,
  membership of a segment — the nightly job after the value scoring, a few queries per
  playbook (the candidates are found in SQL, never a query per customer).

A customer is not started again for the same playbook within its window after the
last start (``_cooling``): the nightly job may run twice, and a customer who stays at
risk is not started every night.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from kehu.core.events import CustomerEvents
from kehu.customers.models import Customer
from kehu.retention.models import Playbook, PlaybookRun, Trigger
from kehu.retention.outcomes import runs_on_stage
from kehu.retention.starting import StartResult, runs_start
from kehu.value.models import CustomerValue, RunStatus, ScoreRun

log = logging.getLogger(__name__)


def stage_entered(event: CustomerEvents) -> None:
    """End the runs the move decides, then start the playbooks waiting for the stage."""
    data: dict[str, Any] = event.data or {}
    stage_id, how = data.get("stage_id"), data.get("how", "")
    if not isinstance(stage_id, int):
        return
    runs_on_stage(
        event.customer_ids,
        stage_id=stage_id,
        stage_kind=str(data.get("stage_kind", "")),
        how=str(how),
        from_stage_ids=data.get("from_stage_ids") or {},
    )
    playbooks = Playbook.objects.filter(trigger=Trigger.STAGE, stage_id=stage_id, is_active=True)
    if how == "initial":
        playbooks = playbooks.filter(include_initial=True)
    for playbook in playbooks:
        _start_quietly(playbook, event.customer_ids, trigger=Trigger.STAGE)


def _start_quietly(playbook: Playbook, customer_ids: Any, **options: Any) -> StartResult:
    """Start by a trigger: a playbook that cannot start now (a step's template deleted,
    its named owner deactivated) is skipped with a warning in the log — the move or the
    nightly pass that triggered it goes on."""
    try:
        return runs_start(playbook=playbook, customer_ids=customer_ids, **options)
    except ValidationError as error:
        log.warning("playbook %s not started: %s", playbook.pk, "; ".join(error.messages))
        return StartResult()


def _cooling(playbook: Playbook, now: dt.datetime) -> Q:
    """Over Customer rows: started for ``playbook`` within its window, or open anywhere."""
    since = now - dt.timedelta(days=playbook.window_days)
    return Q(
        Exists(
            PlaybookRun.objects.filter(
                customer_id=OuterRef("pk"), playbook=playbook, started_at__gte=since
            )
        )
    ) | Q(Exists(PlaybookRun.objects.filter(customer_id=OuterRef("pk"), outcome="open")))


def _good_runs() -> list[ScoreRun]:
    return list(ScoreRun.objects.filter(status=RunStatus.SUCCEEDED).order_by("-as_of", "-id")[:2])


def candidates(playbook: Playbook, now: dt.datetime) -> QuerySet[Customer] | None:
    """The customers the nightly pass would start ``playbook`` for (None: not its kind,
    or nothing to read yet)."""
    customers = Customer.objects.alive()
    runs = _good_runs()
    if playbook.trigger == Trigger.CHURN_RISK:
        if not runs or playbook.risk_threshold is None:
            return None
        at_risk = CustomerValue.objects.filter(
            run=runs[0], risk__gte=playbook.risk_threshold
        ).values("customer_id")
        customers = customers.filter(pk__in=at_risk)
    elif playbook.trigger == Trigger.TIER_DROP:
        if len(runs) < 2:
            return None
        customers = customers.filter(Exists(_tier_dropped(runs[0], runs[1], playbook.tier_drop)))
    elif playbook.trigger == Trigger.SEGMENT:
        if playbook.segment is None or playbook.segment.deleted_at is not None:
            return None
        from kehu.segments.audience import segment_q

        customers = customers.filter(segment_q(playbook.segment, now))
    else:
        return None
    return customers.exclude(_cooling(playbook, now))


def _tier_dropped(latest: ScoreRun, previous: ScoreRun, drop: int) -> QuerySet[CustomerValue]:
    """Over Customer rows: the latest scoring's tier at least ``drop`` below the one
    before."""
    before = CustomerValue.objects.filter(run=previous, customer_id=OuterRef("customer_id"))
    return (
        CustomerValue.objects.filter(run=latest, customer_id=OuterRef("pk"))
        .annotate(before=Subquery(before.values("tier")[:1]))
        .filter(before__gte=F("tier") + drop)
    )


def triggers_run(
    *, now: dt.datetime | None = None, rng: random.Random | None = None
) -> dict[str, int]:
    """The nightly pass over every active playbook with a nightly trigger."""
    now = now or timezone.now()
    total = StartResult()
    playbooks = Playbook.objects.filter(
        is_active=True, trigger__in=(Trigger.CHURN_RISK, Trigger.TIER_DROP, Trigger.SEGMENT)
    ).select_related("segment", "created_by")
    for playbook in playbooks.order_by("pk"):
        found = candidates(playbook, now)
        if found is None:
            continue
        ids = list(found.values_list("pk", flat=True))
        if ids:
            total.merge(_start_quietly(playbook, ids, now=now, rng=rng))
    return {"started": len(total.started), "held_out": len(total.held_out)}
