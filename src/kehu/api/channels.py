"""/api/v1/analytics/channels — channels compared (000 §2): per source channel or
campaign, the leads and how far they went, the customers won, their first-order
revenue and predicted value, the cost typed in, cost per customer and ROI; the funnel
lead → qualified → opportunity → won → repeat buyer. The same selector and access rule
as the page (``kehu.channels``): admins, managers and analysts; 403 otherwise.

Months are ``YYYY-MM``; the last 12 months by default. Money is a decimal string.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from kehu.accounts.models import Team
from kehu.api.auth import actor_of
from kehu.api.errors import error_responses
from kehu.channels.access import access_channels
from kehu.channels.forms import CompareForm
from kehu.channels.selectors import CENT, ChannelRow, channel_comparison

router = Router(tags=["channels"])

Month = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-01"])]


class ChannelsQuery(Schema):
    start: Month | None = None
    end: Month | None = None
    team: int | None = Field(None, ge=1, le=2**31 - 1)
    by: Literal["channel", "campaign"] = "channel"


class FunnelOut(Schema):
    leads: int
    qualified: int
    opportunity: int
    won: int
    repeat: int


class ChannelOut(Schema):
    key: str = Field(description="The source channel, or the campaign's id ('' for none)")
    label: str
    leads: int
    verified: int
    qualified: int
    converted: int
    customers: int = Field(description="Customers created in the months (won)")
    buyers: int
    first_order_revenue: Decimal
    value: Decimal = Field(description="Their predicted value (CLV), else first-order revenue")
    repeat_buyers: int
    cost: Decimal
    cost_per_customer: Decimal | None
    roi: float | None = Field(description="(value − cost) ÷ cost; null without a cost")
    funnel: FunnelOut


class ChannelsOut(Schema):
    start: str
    end: str
    team: int | None
    by: str
    summarized_at: dt.datetime | None
    channels: list[ChannelOut]
    total: ChannelOut


def _row(row: ChannelRow) -> dict[str, Any]:
    counts = row.sums.counts
    leads, qualified, opportunity, won, repeat = row.funnel()
    return {
        "key": row.key,
        "label": row.label,
        **{
            name: counts[name]
            for name in ("leads", "verified", "qualified", "converted", "customers", "buyers")
        },
        "first_order_revenue": row.sums.first_order_revenue.quantize(CENT),
        "value": row.value.quantize(CENT),
        "repeat_buyers": counts["repeat_buyers"],
        "cost": row.cost,
        "cost_per_customer": row.cost_per_customer,
        "roi": None if row.roi is None else round(row.roi, 4),
        "funnel": {
            "leads": leads,
            "qualified": qualified,
            "opportunity": opportunity,
            "won": won,
            "repeat": repeat,
        },
    }


@router.get(
    "/analytics/channels",
    response={200: ChannelsOut, **error_responses(403)},
    summary="Channels compared: what each source channel or campaign brought and cost",
)
def analytics_channels(request: HttpRequest, query: Query[ChannelsQuery]) -> Any:
    access_channels(actor_of(request))
    if query.team is not None and not Team.objects.filter(pk=query.team).exists():
        raise ValidationError({"team": _("没有这个团队。")})
    form = CompareForm(
        {
            "start": query.start or "",
            "end": query.end or "",
            "team": query.team or "",
            "by": query.by,
        }
    )
    if not form.is_valid():
        raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
    comparison = channel_comparison(form.span())
    span = comparison.span
    return {
        "start": span.start.strftime("%Y-%m"),
        "end": span.end.strftime("%Y-%m"),
        "team": span.team_id,
        "by": span.by,
        "summarized_at": comparison.summary.finished_at if comparison.summary else None,
        "channels": [_row(r) for r in comparison.rows],
        "total": _row(comparison.total),
    }
