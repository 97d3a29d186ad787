from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _quiet_refusals() -> Iterator[None]:
    """The sweep asks for thousands of refusals on purpose: keep Django's "Not Found" and
    "Forbidden" warnings out of the report (errors still show)."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)
