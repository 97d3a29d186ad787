"""The lifecycle's one event: customers entered a stage (``stage_entered``).

The engine emits one per (model, stage, how) of an evaluation — a recompute's run of
5,000 customers is a handful of events, not thousands — and a manual move emits one
for its customer. Apps above (retention, exits) start their work from it without
importing the engine; their handlers run in the move's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping

from kehu.core import events


def stage_entered_emit(
    from_stage_ids: Mapping[int, int | None],
    change_ids: Mapping[int, int],
    *,
    model_id: int,
    stage_id: int,
    stage_kind: str,
    how: str,
    actor_id: int | None = None,
) -> None:
    """Tell the apps above that the customers of ``from_stage_ids`` (customer id → the
    stage they left, None when first placed) entered ``stage_id`` of ``model_id``."""
    events.emit_many(
        "stage_entered",
        from_stage_ids,
        actor_id=actor_id,
        data={
            "model_id": model_id,
            "stage_id": stage_id,
            "stage_kind": stage_kind,
            "how": how,
            "from_stage_ids": dict(from_stage_ids),
            "change_ids": dict(change_ids),
        },
    )
