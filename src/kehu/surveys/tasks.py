"""The surveys' periodic jobs (imported by ``kehu jobs`` with every app's ``tasks``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kehu.jobs.schedule import DailyAt, Every, periodic_job
from kehu.surveys import services


@periodic_job("survey_order_triggers", DailyAt(9, 0), lease=dt.timedelta(hours=1))
def survey_order_triggers() -> dict[str, Any]:
    """Invite the buyers of paid orders placed N days ago (one invitation per order;
    days a stopped worker missed are caught up), then deliver what is due."""
    created = services.order_triggers_run()
    return {"created": created, **services.invitations_deliver_pending()}


@periodic_job("survey_deliveries", Every(10), lease=dt.timedelta(minutes=10))
def survey_deliveries() -> dict[str, Any]:
    """Invitations whose delay has passed, and retries of failed deliveries."""
    return services.invitations_deliver_pending()
