"""Export pages: the column picker of a list (reached from the list's 导出 button with
its filters), a big export's progress and download, the record list and the per-role
switch. Thin: access helpers, then ``services``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import Role
from kehu.accounts.selectors import request_actor
from kehu.customers.selectors import PageOutOfRange
from kehu.customers.views import int_param
from kehu.exports.access import (
    access_export,
    access_export_admin,
    access_export_record,
    can_admin_exports,
    role_may_export,
)
from kehu.exports.lists import export_list_get, export_lists
from kehu.exports.models import ExportStatus
from kehu.exports.selectors import export_record_page
from kehu.exports.services import (
    TABLE_FORMATS,
    column_choice_get,
    column_choice_save,
    export_file_path,
    export_plan,
    export_roles_save,
    export_stream,
)
from kehu.exports.tasks import export_enqueue


def _params(data: QueryDict, keys: tuple[str, ...]) -> dict[str, str]:
    """The list's filters from a query string or form; ticked ids (``ids``, repeated
    or comma-separated) as one comma-separated value."""
    params = {key: str(data.get(key)) for key in keys if key != "ids" and data.get(key)}
    ids = ",".join(v for v in data.getlist("ids") if v)
    if ids and "ids" in keys:
        params["ids"] = ids
    return params


@login_required
def export_form_view(request: HttpRequest, list_key: str) -> HttpResponseBase:
    """GET: the columns and the format to pick, the list's filters carried along.
    POST: the export itself — streamed when small, else a job and its progress page."""
    actor = request_actor(request)
    export_list = export_list_get(list_key)
    if export_list is None:
        raise Http404
    access_export(actor, export_list)
    data = request.POST if request.method == "POST" else request.GET
    params = _params(data, export_list.filter_keys)
    if request.method == "POST":
        columns = request.POST.getlist("columns")
        file_format = request.POST.get("format", "csv")
        try:
            plan = export_plan(
                actor=actor,
                list_key=list_key,
                params=params,
                columns=columns,
                file_format=file_format,
            )
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            column_choice_save(actor, list_key, [c.key for c in plan.columns])
            if plan.is_big:
                record = export_enqueue(plan, via="web")
                return redirect("exports:record", record_id=record.pk)
            return export_stream(plan, via="web")[1]
    chosen = set(column_choice_get(actor, list_key))
    listed = export_list.columns()
    if not chosen & {c.key for c in listed}:
        chosen = {c.key for c in listed if c.default}
    plan = export_plan(actor=actor, list_key=list_key, params=params)
    context = {
        "export_list": export_list,
        "params": params,
        "columns": [(c, c.key in chosen) for c in listed],
        "formats": TABLE_FORMATS,
        "count": plan.count,
        "is_big": plan.is_big,
        "selection": bool(params.get("ids")),
    }
    return render(request, "exports/form.html", context)


@login_required
def export_records_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    try:
        page = export_record_page(actor, page=int_param(request.GET.get("page")) or 1)
    except PageOutOfRange:
        raise Http404(_("没有这一页。")) from None
    labels = {e.key: e.label for e in export_lists()}
    return render(
        request,
        "exports/records.html",
        {"page": page, "labels": labels, "may_admin": can_admin_exports(actor)},
    )


@login_required
def export_record_view(request: HttpRequest, record_id: int) -> HttpResponse:
    """A big export's progress (htmx polls the card) and, when done, its download."""
    actor = request_actor(request)
    record = access_export_record(actor, record_id)
    export_list = export_list_get(record.list_key)
    context = {
        "record": record,
        "label": export_list.label if export_list else record.list_key,
        "expired": record.is_expired(),
        "working": record.status in (ExportStatus.QUEUED, ExportStatus.RUNNING),
    }
    if getattr(request, "htmx", False):
        return render(request, "exports/record.html#progress", context)
    return render(request, "exports/record.html", context)


@login_required
def export_download_view(request: HttpRequest, record_id: int) -> HttpResponseBase:
    actor = request_actor(request)
    record = access_export_record(actor, record_id)
    access_export(actor)
    if record.is_expired():
        return render(request, "exports/expired.html", {"record": record}, status=410)
    path = export_file_path(record)
    if path is None:
        raise Http404
    filename = f"{record.list_key}-{timezone.localtime(record.created_at):%Y%m%d-%H%M}"
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=f"{filename}.{record.file_format}"
    )


@login_required
def export_settings_view(request: HttpRequest) -> HttpResponse:
    """Which roles may export (admins)."""
    actor = request_actor(request)
    access_export_admin(actor)
    if request.method == "POST":
        return _settings_save(request)
    roles = [(value, label, role_may_export(value)) for value, label in Role.choices]
    return render(request, "exports/settings.html", {"roles": roles})


def _settings_save(request: HttpRequest) -> HttpResponse:
    export_roles_save(actor=request_actor(request), allowed=request.POST.getlist("roles"))
    messages.success(request, _("导出权限已保存。"))
    return redirect("exports:settings")
