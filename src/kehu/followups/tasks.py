"""The follow-ups' periodic job (``kehu jobs`` and Huey import every app's ``tasks``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from kehu.followups import reminders as followup_reminders
from kehu.jobs.schedule import Every, periodic_job


@periodic_job("reminders", Every(1), lease=dt.timedelta(minutes=5))
def reminders() -> dict[str, Any]:
    """Due follow-up tasks and pool notices → notifications, then e-mail (once each)."""
    return dataclasses.asdict(followup_reminders.reminders_send())
