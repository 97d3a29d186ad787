"""Customer events: how a write in one app reaches an app above it, without signals.

A service that records something other apps react to (a complaint closed, an order
recorded, a survey answered) calls ``emit(...)`` inside its transaction. Apps that
react call ``subscribe(...)`` in their ``AppConfig.ready()``. Handlers run at once,
in the caller's transaction, in the order the apps are installed; a test lists who
subscribes to what (``subscribers()``), so a reader can follow every flow.

=======================  ===========================================================
kind                     emitted by / payload
=======================  ===========================================================
``order_recorded``       orders: a new paid order (``order_id``)
``complaint_closed``     complaints: a complaint closed (``complaint_id``)
``complaint_changed``    complaints: opened, moved, reopened (``complaint_id``)
``survey_answered``      surveys: an answer recorded (``response_id``, ``score``)
``interaction_logged``   interactions: a touch recorded (``interaction_id``)
=======================  ===========================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

KINDS = (
    "order_recorded",
    "complaint_closed",
    "complaint_changed",
    "survey_answered",
    "interaction_logged",
)


@dataclass(frozen=True)
class CustomerEvent:
    kind: str
    customer_id: int
    actor_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[CustomerEvent], None]
_handlers: dict[str, list[tuple[str, Handler]]] = {}


def subscribe(kind: str, name: str, handler: Handler) -> None:
    """Call ``handler`` for every event of ``kind``; ``name`` says who (for the test
    that lists subscribers). Subscribing the same name twice replaces it."""
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    entries = [(n, h) for n, h in _handlers.get(kind, []) if n != name]
    entries.append((name, handler))
    _handlers[kind] = entries


def emit(event: CustomerEvent) -> None:
    if event.kind not in KINDS:
        raise ValueError(f"unknown event kind {event.kind!r}")
    for _name, handler in _handlers.get(event.kind, []):
        handler(event)


def subscribers() -> dict[str, list[str]]:
    return {kind: [name for name, _h in entries] for kind, entries in _handlers.items()}
