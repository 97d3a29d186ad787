"""Customer events: how a write in one app reaches an app above it, without signals.

A service that records something other apps react to (a complaint closed, an order
recorded, a survey answered) calls ``emit(...)`` inside its transaction. Apps that
react call ``subscribe(...)`` in their ``AppConfig.ready()``. Handlers run at once,
in the caller's transaction, in the order the apps are installed; a test lists who
subscribes to what (``subscribers()``), so a reader can follow every flow.

=======================  ===========================================================
kind                     emitted by / payload
=======================  ===========================================================
``order_recorded``       orders: orders created or changed (batch: every customer of
                         an ``orders_ingest`` batch at once)
``order_refunded``       orders: a refund recorded (``order_id``)
``complaint_closed``     complaints: a complaint closed (``complaint_id``)
``complaint_changed``    complaints: opened, moved, reopened (``complaint_id``)
``survey_answered``      surveys: an answer recorded (``response_id``, ``score``)
``interaction_logged``   interactions: a touch recorded (``interaction_id``)
``interaction_removed``  interactions: a touch deleted (``interaction_id``)
``owner_changed``        customers: claimed, released, transferred, reclaimed
                         (``to_user_id`` or None, ``previous_owner_ids``: customer
                         id → the owner before, ``move_tasks``: the open tasks go to
                         the new owner)
``stage_entered``        lifecycle: customers entered a stage of a model (batch: one
                         event per model, stage and ``how`` of an evaluation;
                         ``model_id``, ``stage_id``, ``stage_kind`` ("normal" or
                         "churned"), ``how`` ("initial", "rule" or "manual"),
                         ``from_stage_ids`` and ``change_ids``: customer id → the
                         stage before (or None) and the ``StageChange`` written)
=======================  ===========================================================

A batch of customers (an order batch) is one ``emit_many(kind, customer_ids)``:
handlers subscribed with ``subscribe_many`` get all the ids in one call (so they can
work with a few queries); per-customer handlers are called once per id. ``emit`` of
one event reaches batch handlers too, with a single id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

KINDS = (
    "order_recorded",
    "order_refunded",
    "complaint_closed",
    "complaint_changed",
    "survey_answered",
    "interaction_logged",
    "interaction_removed",
    "owner_changed",
    "stage_entered",
)


@dataclass(frozen=True)
class CustomerEvent:
    kind: str
    customer_id: int
    actor_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CustomerEvents:
    """One event about many customers (an order batch)."""

    kind: str
    customer_ids: tuple[int, ...]
    actor_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[CustomerEvent], None]
BatchHandler = Callable[[CustomerEvents], None]
_handlers: dict[str, list[tuple[str, Handler]]] = {}
_batch_handlers: dict[str, list[tuple[str, BatchHandler]]] = {}


def subscribe(kind: str, name: str, handler: Handler) -> None:
    """Call ``handler`` for every event of ``kind``; ``name`` says who (for the test
    that lists subscribers). Subscribing the same name twice replaces it."""
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    entries = [(n, h) for n, h in _handlers.get(kind, []) if n != name]
    entries.append((name, handler))
    _handlers[kind] = entries


def subscribe_many(kind: str, name: str, handler: BatchHandler) -> None:
    """Call ``handler`` once per ``emit_many`` (and per ``emit``, with one id)."""
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    entries = [(n, h) for n, h in _batch_handlers.get(kind, []) if n != name]
    entries.append((name, handler))
    _batch_handlers[kind] = entries


def unsubscribe(kind: str, name: str) -> None:
    """Remove ``name``'s handler for ``kind`` (benchmarks measure without it)."""
    _handlers[kind] = [(n, h) for n, h in _handlers.get(kind, []) if n != name]
    _batch_handlers[kind] = [(n, h) for n, h in _batch_handlers.get(kind, []) if n != name]


def emit(event: CustomerEvent) -> None:
    if event.kind not in KINDS:
        raise ValueError(f"unknown event kind {event.kind!r}")
    for _name, handler in _handlers.get(event.kind, []):
        handler(event)
    if _batch_handlers.get(event.kind):
        batch = CustomerEvents(event.kind, (event.customer_id,), event.actor_id, event.data)
        for _name, batch_handler in _batch_handlers[event.kind]:
            batch_handler(batch)


def emit_many(
    kind: str,
    customer_ids: Iterable[int],
    *,
    actor_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """One event for many customers (each id once, in ascending order)."""
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    ids = tuple(sorted(set(customer_ids)))
    if not ids:
        return
    payload = data or {}
    for _name, handler in _handlers.get(kind, []):
        for customer_id in ids:
            handler(CustomerEvent(kind, customer_id, actor_id, payload))
    for _name, batch_handler in _batch_handlers.get(kind, []):
        batch_handler(CustomerEvents(kind, ids, actor_id, payload))


def subscribers() -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for table in (_handlers, _batch_handlers):
        for kind, entries in table.items():
            names.setdefault(kind, []).extend(name for name, _h in entries)
    return {kind: entries for kind, entries in names.items() if entries}
