"""/api/v1/lifecycle/stats: stage counts, the funnel and the flows of one lifecycle
model over the customers the caller may see (the same figures as the analytics page)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from kehu.api.auth import actor_of
from kehu.api.customers import DbId
from kehu.api.errors import ApiError, error_responses
from kehu.core.dates import ApiDate
from kehu.lifecycle import stats
from kehu.lifecycle.analytics_forms import DEFAULT_DAYS, MAX_DAYS
from kehu.lifecycle.analytics_selectors import (
    AnalyticsFilters,
    lifecycle_report,
    model_by_key,
    stats_payload,
)

router = Router(tags=["lifecycle"])


class StatsQuery(Schema):
    model_config = ConfigDict(populate_by_name=True)
    model: Annotated[
        str, Field(max_length=40, description="Model key; default: the default model.")
    ] = ""
    date_from: ApiDate | None = Field(
        None, alias="from", description="First day (local); default 90 days before ``to``."
    )
    date_to: ApiDate | None = Field(
        None, alias="to", description="Last day (local); default today."
    )
    segment: DbId | None = Field(
        None, description="Only the members of this segment (one you may see; else 404)."
    )


class StageCountOut(Schema):
    stage: str
    name: str
    count: int
    share: float | None


class FunnelStepOut(Schema):
    stage: str
    name: str
    reached: int
    share: float | None = Field(description="% of every customer placed in the model.")
    to_next: float | None = Field(description="% of those who reached it that reached the next.")


class FlowOut(Schema):
    from_stage: str | None = Field(description="None: customers entering the model.")
    to_stage: str
    count: int


class StatsOut(Schema):
    model: str
    date_from: dt.date = Field(alias="from")
    date_to: dt.date = Field(alias="to")
    total: int
    counts: list[StageCountOut]
    funnel: list[FunnelStepOut]
    flows: list[FlowOut]
    partial: bool = Field(description="True: too many customers for the funnel; narrow the scope.")


def _period(query: StatsQuery) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    end = query.date_to or today
    start = query.date_from or end - dt.timedelta(days=DEFAULT_DAYS)
    if end > today:
        raise ApiError(
            422,
            "invalid",
            _("输入有误，请检查后重试。"),
            errors={"to": [_("结束日期不能晚于今天。")]},
        )
    if start > end:
        raise ApiError(
            422,
            "invalid",
            _("输入有误，请检查后重试。"),
            errors={"from": [_("开始日期不能晚于结束日期。")]},
        )
    if (end - start).days > MAX_DAYS:
        raise ApiError(
            422,
            "invalid",
            _("输入有误，请检查后重试。"),
            errors={"from": [_("时间范围最长 5 年。")]},
        )
    return start, end


@router.get(
    "/lifecycle/stats",
    response={200: StatsOut, **error_responses((404, "unknown_model"), (404, "not_found"))},
    by_alias=True,
    summary="Lifecycle stats: customers per stage at ``to``, the funnel, flows in the period",
    description="Over the customers the caller may see. Unknown model: 404 ``unknown_model``; "
    "a segment the caller may not see: 404 ``not_found``.",
)
def lifecycle_stats(request: HttpRequest, query: Query[StatsQuery]) -> Any:
    actor = actor_of(request)
    model = model_by_key(query.model)
    if model is None:
        raise ApiError(404, "unknown_model", _("没有这个生命周期模型。"))
    start, end = _period(query)
    filters = AnalyticsFilters(
        model=model,
        start=start,
        end=end,
        bucket=stats.bucket_for(start, end),
        segment_id=query.segment,
    )
    return stats_payload(lifecycle_report(actor, filters))
