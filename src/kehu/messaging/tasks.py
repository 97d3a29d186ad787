"""The sending jobs: one task per campaign (started when it is queued) and a periodic
sweep that resumes whatever is left (a worker killed half-way, retries that are due).
Both drain the same queue with claims and leases (``sending.py``): safe together."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from huey.contrib.djhuey import db_task

from kehu.jobs.schedule import Every, periodic_job
from kehu.messaging import sending


@db_task(name="messaging.campaign_send")
def campaign_send(campaign_id: int) -> None:
    """Send one campaign's queued messages now."""
    sending.recipients_send(campaign_id=campaign_id)


@periodic_job("messages_send", Every(1), lease=dt.timedelta(minutes=10))
def messages_send() -> dict[str, Any]:
    """Queued messages of every campaign (resumes interrupted sends, due retries)."""
    return dataclasses.asdict(sending.recipients_send(time_limit=240))
