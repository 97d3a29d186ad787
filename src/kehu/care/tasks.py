"""The care agenda job: every morning the day's greetings, visits and calls.

Safe twice, concurrently or after a worker died half-way: ``agenda_build`` inserts
each (customer, rule, occurrence) once and creates each task once. Days missed while
no worker ran (up to ``CATCH_UP_DAYS``) are built on the next run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.utils import timezone
from huey.contrib.djhuey import db_task

from kehu.care.services import agenda_build, agenda_days_due
from kehu.jobs.schedule import DailyAt, periodic_job


@periodic_job("care_agenda", DailyAt(6, 0), lease=dt.timedelta(hours=2))
def care_agenda() -> dict[str, Any]:
    """Build the care agenda (关怀日程) of today and of days missed since the last run."""
    days = agenda_days_due(timezone.localdate())
    return {"days": [dataclasses.asdict(agenda_build(day=day)) for day in days]}


@db_task(name="care.agenda_build_now")
def care_agenda_build_now(day_iso: str) -> None:
    """The agenda page's "create the day's tasks now" button, on the job queue."""
    agenda_build(day=dt.date.fromisoformat(day_iso))
