"""Exports through the API: every list the pages export, with the same filters (the
list page's query-string names), access and masking (``kehu.exports``).

``GET /api/v1/exports/{list_key}?format=csv|xlsx&columns=a,b&<filters>`` answers the
file at once when it is small; a big one (over ``KEHU_EXPORT_ASYNC_ROWS`` rows) runs as
a job: 202 with ``{id, status}``; poll ``GET /api/v1/exports/{export_id}`` until
``done``, then fetch ``download_url`` (410 ``expired`` once the link has expired).
A role an admin switched exporting off for gets 403 ``forbidden``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field as NinjaField
from ninja import Router, Schema
from ninja.responses import Status

from kehu.api.auth import actor_of
from kehu.api.errors import ApiError, error_responses
from kehu.exports.access import access_export, access_export_record
from kehu.exports.lists import export_list_get
from kehu.exports.models import ExportRecord, ExportStatus
from kehu.exports.services import export_file_path, export_plan, export_stream
from kehu.exports.tasks import export_enqueue

router = Router(tags=["exports"])

FILE_RESPONSE = {
    "description": "The file (CSV in UTF-8 with a byte-order mark, or .xlsx).",
    "content": {
        "text/csv": {"schema": {"type": "string", "format": "binary"}},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
            "schema": {"type": "string", "format": "binary"}
        },
    },
}
RESERVED = {"format", "columns"}


class ExportOut(Schema):
    id: int
    status: str = NinjaField(description="queued, running, done, error or expired")
    list: str
    format: str
    rows: int = NinjaField(description="rows written so far")
    rows_total: int | None
    created_at: dt.datetime
    expires_at: dt.datetime | None
    download_url: str | None = NinjaField(description="set once done, until it expires")


def _out(record: ExportRecord) -> dict[str, Any]:
    ready = record.status == ExportStatus.DONE and bool(record.file_name)
    expired = record.is_expired()
    return {
        "id": record.pk,
        "status": ExportStatus.EXPIRED if expired and ready else record.status,
        "list": record.list_key,
        "format": record.file_format,
        "rows": record.rows,
        "rows_total": record.rows_total,
        "created_at": record.created_at,
        "expires_at": record.expires_at,
        "download_url": (
            reverse("api:export_download", args=[record.pk]) if ready and not expired else None
        ),
    }


@router.get(
    "/exports/{int:export_id}",
    response={200: ExportOut, **error_responses(403)},
    summary="A big export's status and download link",
)
def export_get(request: HttpRequest, export_id: int) -> Any:
    actor = actor_of(request)
    access_export(actor)
    return _out(access_export_record(actor, export_id))


@router.get(
    "/exports/{int:export_id}/download",
    response={**error_responses(403, "expired")},
    url_name="export_download",
    openapi_extra={"responses": {"200": FILE_RESPONSE}},
    summary="Download a big export's file",
)
def export_download(request: HttpRequest, export_id: int) -> Any:
    actor = actor_of(request)
    access_export(actor)
    record = access_export_record(actor, export_id)
    if record.is_expired():
        raise ApiError(410, "expired", _("下载链接已过期，请重新导出。"))
    path = export_file_path(record)
    if path is None:
        raise Http404
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=f"{record.list_key}.{record.file_format}"
    )


@router.get(
    "/exports/{list_key}",
    response={202: ExportOut, **error_responses(403)},
    openapi_extra={"responses": {"200": FILE_RESPONSE}},
    summary="Export a list with its filters",
)
def export_list(
    request: HttpRequest,
    list_key: str,
    format: Literal["csv", "xlsx"] = "csv",
    columns: str = "",
) -> Any:
    """``list_key``: customers, orders, interactions, tasks, complaints, survey-answers,
    care, at-risk, stage-history. Other query parameters are the list page's filters
    (customers: ``q``, ``owner``, ``pool``, ``team``, ``tag``, ``province``, ``city``,
    ``source``, ``kind``, ``ids``)."""
    actor = actor_of(request)
    export_list = export_list_get(list_key)
    if export_list is None:
        raise Http404
    access_export(actor, export_list)
    params = {
        key: request.GET[key]
        for key in export_list.filter_keys
        if key not in RESERVED and request.GET.get(key)
    }
    plan = export_plan(
        actor=actor,
        list_key=list_key,
        params=params,
        columns=[c for c in columns.split(",") if c] or None,
        file_format=format,
    )
    if plan.is_big:
        return Status(202, _out(export_enqueue(plan, via="api")))
    response: HttpResponse = export_stream(plan, via="api")[1]  # type: ignore[assignment]
    return response
