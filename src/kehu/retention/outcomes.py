"""A run's outcome, computed from the data (never typed in, except a stop by hand):

* saved — a paid order within the window (``order_recorded``, a batch at a time), or a
  lifecycle rule moving the customer into one of the playbook's saved stages (发展);
* lost — entering a churned stage (``stage_entered``), or the window passed (nightly);
* stopped — by hand, with a reason (``services.run_stop``).

Held-out runs end the same way (the report compares the two). When a run ends, its
steps' open tasks are skipped: the customer needs them no more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef
from django.db.models.functions import Trunc
from django.utils import timezone

from kehu.core.events import CustomerEvents
from kehu.core.sql import chunks, values_in
from kehu.followups.models import Task, TaskStatus
from kehu.lifecycle.models import Stage
from kehu.orders.models import Order
from kehu.retention.models import EndReason, Outcome, PlaybookRun, RunStep
from kehu.retention.starting import PAID, values_now


def paid_in_window() -> Exists:
    """Over PlaybookRun rows: a paid order of the customer since the start, in the window.
    From the start's minute: a sale entered by hand is timed to the minute (the sale
    form's 下单时间), so one recorded in the minute the run started counts."""
    return Exists(
        Order.objects.filter(
            customer_id=OuterRef("customer_id"),
            status__in=PAID,
            ordered_at__gte=Trunc(
                ExpressionWrapper(OuterRef("started_at"), output_field=DateTimeField()),
                "minute",
                tzinfo=dt.UTC,
            ),
            ordered_at__lte=OuterRef("window_ends_at"),
        )
    )


def runs_end(
    run_ids: Sequence[int],
    *,
    outcome: str,
    reason: str,
    now: dt.datetime | None = None,
    actor_id: int | None = None,
    note: str = "",
) -> int:
    """End the open runs among ``run_ids``; the number ended (a run already ended is
    left as it is)."""
    now = now or timezone.now()
    ended = 0
    for chunk in chunks(list(run_ids), 2000):
        rows = list(
            PlaybookRun.objects.filter(
                pk__in=values_in(list(chunk), "int"), outcome=Outcome.OPEN
            ).values_list("pk", "customer_id")
        )
        if not rows:
            continue
        values = values_now([customer_id for _pk, customer_id in rows], now)
        by_value: dict[object, list[int]] = {}
        for pk, customer_id in rows:
            by_value.setdefault(values[customer_id][0], []).append(pk)
        for value, pks in by_value.items():
            ended += PlaybookRun.objects.filter(
                pk__in=values_in(pks, "int"), outcome=Outcome.OPEN
            ).update(
                outcome=outcome,
                end_reason=reason,
                ended_at=now,
                ended_by_id=actor_id,
                stop_note=note[:500],
                value_after=value,
                version=F("version") + 1,
            )
        pks = [pk for pk, _c in rows]
        Task.objects.filter(
            pk__in=RunStep.objects.filter(run_id__in=values_in(pks, "int")).values("task_id"),
            status=TaskStatus.OPEN,
        ).update(status=TaskStatus.SKIPPED, done_at=now, updated_at=now, version=F("version") + 1)
    return ended


def runs_saved_by_orders(event: CustomerEvents) -> None:
    """``order_recorded``: the open runs of these customers with a paid order in their
    window are saved (two queries for a batch without open runs: one)."""
    for chunk in chunks(list(event.customer_ids), 2000):
        saved = list(
            PlaybookRun.objects.filter(
                customer_id__in=values_in(list(chunk), "int"), outcome=Outcome.OPEN
            )
            .filter(paid_in_window())
            .values_list("pk", flat=True)
        )
        if saved:
            runs_end(saved, outcome=Outcome.SAVED, reason=EndReason.ORDER)


def runs_on_stage(
    customer_ids: Sequence[int],
    *,
    stage_id: int,
    stage_kind: str,
    how: str,
    from_stage_ids: Mapping[Any, int | None] | None = None,
) -> int:
    """``stage_entered``: churned → lost; a rule back into a saved stage → saved. Back:
    from a stage after it in the model (挽留 or 退出 → 发展), not a step forward
    (获取 → 发展, a second purchase, maybe from before the start)."""
    if not customer_ids:
        return 0
    open_runs = PlaybookRun.objects.filter(
        customer_id__in=values_in(list(customer_ids), "int"), outcome=Outcome.OPEN
    )
    if stage_kind == "churned":
        lost = list(open_runs.values_list("pk", flat=True))
        return runs_end(lost, outcome=Outcome.LOST, reason=EndReason.CHURNED)
    if how != "rule":
        return 0
    candidates = [
        (pk, customer_id)
        for pk, customer_id, stage_ids in open_runs.values_list(
            "pk", "customer_id", "playbook__saved_stage_ids"
        )
        if isinstance(stage_ids, list) and stage_id in stage_ids
    ]
    if not candidates:
        return 0
    froms = {int(k): v for k, v in (from_stage_ids or {}).items()}
    positions = dict(
        Stage.objects.filter(pk__in={stage_id, *(v for v in froms.values() if v)}).values_list(
            "pk", "position"
        )
    )
    here = positions.get(stage_id, 0)
    saved = [
        pk
        for pk, customer_id in candidates
        if (came := froms.get(customer_id)) is not None and positions.get(came, -1) > here
    ]
    return runs_end(saved, outcome=Outcome.SAVED, reason=EndReason.STAGE_BACK)


def runs_close_expired(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The nightly pass: open runs whose window has passed are saved if an order came
    in time (a safety net), lost otherwise."""
    now = now or timezone.now()
    due = PlaybookRun.objects.filter(outcome=Outcome.OPEN, window_ends_at__lte=now)
    saved = list(due.filter(paid_in_window()).values_list("pk", flat=True))
    saved_count = runs_end(saved, outcome=Outcome.SAVED, reason=EndReason.ORDER, now=now)
    lost = list(due.values_list("pk", flat=True))
    lost_count = runs_end(lost, outcome=Outcome.LOST, reason=EndReason.WINDOW, now=now)
    return {"saved": saved_count, "lost": lost_count}
