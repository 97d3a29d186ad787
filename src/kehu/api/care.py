"""/api/v1: care — the care agenda of a day (birthdays, lunar birthdays, festivals,
anniversaries, cadence, visits), only for customers the caller may see.

A day the daily job built answers from its stored lines (with the task and message
links); any other day is computed on the fly without writing (``stored: false``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from kehu.api.auth import actor_of
from kehu.api.customers import MAX_PAGE, MAX_PAGE_SIZE
from kehu.api.errors import ApiError, error_responses
from kehu.care.models import Reason
from kehu.care.selectors import agenda_page

router = Router(tags=["care"])

MAX_DAYS_AWAY = 366


class AgendaQuery(Schema):
    date: Annotated[str, Field(max_length=10, description="YYYY-MM-DD; default today")] = ""
    reason: Reason | None = None
    page: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 1
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 50


class AgendaItemOut(Schema):
    customer_id: int
    customer_name: str
    owner_id: int | None
    reason: str = Field(
        description="birthday, lunar_birthday, festival, anniversary, cadence, visit"
    )
    reason_label: str
    note: str
    occurs_on: dt.date
    rule_id: int | None
    rule_name: str
    task_id: int | None
    task_status: str | None
    campaign_id: int | None


class AgendaOut(Schema):
    date: dt.date
    stored: bool = Field(description="Built by the daily job (false: a preview)")
    items: list[AgendaItemOut]
    count: int
    page: int
    page_size: int
    num_pages: int


def _day(raw: str) -> dt.date:
    if not raw:
        return timezone.localdate()
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise ApiError(
            422,
            "invalid_date",
            _("日期格式应为 YYYY-MM-DD。"),
            errors={"date": [_("日期格式应为 YYYY-MM-DD。")]},
        ) from None
    if len(raw) != 10 or abs((day - timezone.localdate()).days) > MAX_DAYS_AWAY:
        raise ApiError(
            422,
            "date_out_of_range",
            _("只能查询前后一年内的关怀日程。"),
            errors={"date": [_("只能查询前后一年内的关怀日程。")]},
        )
    return day


@router.get(
    "/care/agenda",
    response={200: AgendaOut, **error_responses("invalid_date", "date_out_of_range")},
    summary="The care agenda of a day: who is due, and why",
)
def care_agenda(request: HttpRequest, query: Query[AgendaQuery]) -> Any:
    day = _day(query.date)
    page = agenda_page(
        actor_of(request),
        day,
        page=query.page,
        page_size=query.page_size,
        reason=query.reason.value if query.reason else None,
    )
    items = []
    for row in page.rows:
        task = row.item.task if row.item else None
        items.append(
            {
                "customer_id": row.customer.pk,
                "customer_name": row.customer.name,
                "owner_id": row.customer.owner_id,
                "reason": row.reason,
                "reason_label": row.reason_label,
                "note": row.note,
                "occurs_on": row.occurs_on,
                "rule_id": row.rule.pk if row.rule else None,
                "rule_name": row.rule.name if row.rule else "",
                "task_id": task.pk if task else None,
                "task_status": task.status if task else None,
                "campaign_id": row.item.campaign_id if row.item else None,
            }
        )
    return {
        "date": day,
        "stored": page.stored,
        "items": items,
        "count": page.count,
        "page": page.page,
        "page_size": page.page_size,
        "num_pages": page.num_pages,
    }
