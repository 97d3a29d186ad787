"""The exit analysis shows apart the customers who left while a playbook ran for them
(exits sit below retention: registered through ``exits.registry``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from kehu.core.sql import chunks, values_in
from kehu.exits.models import ExitRecord
from kehu.retention.models import PlaybookRun

# A run is ended by the very move that records the exit: a little before or after it.
SAME_MOVE = dt.timedelta(minutes=5)


def left_during_a_playbook(customer_ids: Sequence[int]) -> set[int]:
    """Of ``customer_ids``, those whose exit fell within a run of a playbook (held-out
    runs included: they were in the experiment, not treated)."""
    found: set[int] = set()
    for part in chunks(sorted(set(customer_ids)), 5000):
        exits: dict[int, list[dt.datetime]] = {}
        for customer_id, at in ExitRecord.objects.filter(
            customer_id__in=values_in(part, "int")
        ).values_list("customer_id", "at"):
            exits.setdefault(customer_id, []).append(at)
        if not exits:
            continue
        runs = PlaybookRun.objects.filter(customer_id__in=values_in(sorted(exits), "int"))
        for customer_id, started, ended in runs.values_list(
            "customer_id", "started_at", "ended_at"
        ):
            if any(
                started <= at + SAME_MOVE and (ended is None or ended >= at - SAME_MOVE)
                for at in exits[customer_id]
            ):
                found.add(customer_id)
    return found
