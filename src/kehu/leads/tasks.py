"""The leads' periodic job (``kehu jobs`` and Huey import every app's ``tasks``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kehu.jobs.schedule import DailyAt, periodic_job
from kehu.leads.assignment import lead_reclaim
from kehu.leads.models import FormHit


@periodic_job("lead_reclaim", DailyAt(2, 15), lease=dt.timedelta(hours=1))
def lead_reclaim_daily() -> dict[str, Any]:
    """Leads nobody called for the set days go back to the lead pool (线索池), and the
    public form's old rate-limit counts are dropped."""
    report = lead_reclaim()
    pruned, _kinds = FormHit.objects.filter(
        window__lt=timezone.now() - dt.timedelta(days=1)
    ).delete()
    return {"returned": len(report.returned), "form_counts_pruned": pruned}
