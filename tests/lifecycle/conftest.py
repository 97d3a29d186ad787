from __future__ import annotations

from collections.abc import Iterator

import pytest

from kehu.core.events import unsubscribe
from kehu.lifecycle.services import EVENT_KINDS, events_subscribe


@pytest.fixture
def engine_off() -> Iterator[None]:
    """No event-driven evaluation: the test evaluates as of dates it chooses."""
    for kind in EVENT_KINDS:
        unsubscribe(kind, "lifecycle.evaluate")
    yield
    events_subscribe()
