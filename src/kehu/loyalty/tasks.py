"""Nightly jobs of the loyalty app (imported by ``kehu jobs`` and Huey)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from kehu.jobs.schedule import DailyAt, periodic_job
from kehu.loyalty.checks import ledger_check, members_refresh, points_expire


@periodic_job("loyalty_nightly", DailyAt(1, 30), lease=dt.timedelta(hours=2))
def nightly() -> dict[str, Any]:
    """Expire points past their date, refresh 12-month figures and levels, then check
    every kept balance against the ledger (the run's result lists any difference)."""
    expired = points_expire()
    refreshed = members_refresh()
    check = ledger_check()
    return {
        "expired": dataclasses.asdict(expired),
        "refreshed": refreshed,
        "check": dataclasses.asdict(check),
    }
