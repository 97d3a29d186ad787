"""Periodic jobs of the complaints app (imported by ``kehu jobs`` and Huey)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from kehu.complaints.escalation import complaints_escalate
from kehu.jobs.schedule import Every, periodic_job


@periodic_job("complaints_escalate", Every(5), lease=dt.timedelta(minutes=10))
def escalate() -> dict[str, Any]:
    """Overdue complaints → their manager, then the admins (once per level)."""
    return dataclasses.asdict(complaints_escalate())
