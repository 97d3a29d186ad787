"""The demo's value snapshot: one scoring run as of today (``kehu demo`` calls it)."""

from __future__ import annotations

from django.utils import timezone

from kehu.value.models import ScoreRun
from kehu.value.services import score_run


def value_demo() -> ScoreRun:
    return score_run(as_of=timezone.localdate())
