"""The import pages, one per step: upload (with the history) → mapping → dry-run
results and options → progress → summary (and undo). ``/imports/<id>/`` sends the
user to the step the import is at, so a closed tab resumes where it was."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.models import User
from kehu.accounts.selectors import request_actor
from kehu.core.errors import KehuError
from kehu.core.exports import XLSX_TYPE
from kehu.core.forms import add_service_errors
from kehu.customers.selectors import PageOutOfRange
from kehu.customers.views import int_param
from kehu.imports.access import access_import, can_import, can_undo
from kehu.imports.forms import MappingForm, OptionsForm, UndoForm, UploadForm
from kehu.imports.links import created_title, list_link, record_links
from kehu.imports.mapping import mapping_save
from kehu.imports.models import ImportJob, ImportKind, ImportRow, ImportStatus, RowOutcome
from kehu.imports.readers import FileRejected
from kehu.imports.report import report_count, report_file, report_filename, report_rows
from kehu.imports.selectors import import_page
from kehu.imports.services import (
    SUPPORTED_KINDS,
    import_mapping_set,
    import_options_set,
    import_upload,
)
from kehu.imports.tasks import import_check_task, import_read_task, import_run_task
from kehu.imports.template import template_response
from kehu.imports.undo import import_undo

PAGE_SIZE = 25
STEP_OF = {
    ImportStatus.UPLOADED: "imports:progress",
    ImportStatus.READING: "imports:progress",
    ImportStatus.MAPPING: "imports:mapping",
    ImportStatus.CHECKING: "imports:progress",
    ImportStatus.CHECKED: "imports:check",
    ImportStatus.RUNNING: "imports:progress",
    ImportStatus.DONE: "imports:summary",
    ImportStatus.FAILED: "imports:summary",
    ImportStatus.UNDONE: "imports:summary",
}


def _access(request: HttpRequest, job_id: int) -> tuple[ImportJob, User]:
    actor = request_actor(request)
    return access_import(actor, job_id), actor


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


@login_required
def import_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    if not can_import(actor):
        raise PermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_upload(
                actor=actor,
                source=upload,
                name=upload.name,
                kind=form.cleaned_data["kind"],
                sheet=form.cleaned_data["sheet"],
            )
        except (ValidationError, FileRejected) as exc:
            add_service_errors(form, exc)
        except PermissionDenied:
            form.add_error("kind", _("您无权导入这种内容。"))
        else:
            import_read_task(job.pk)
            return redirect("imports:detail", job.pk)
    try:
        page = import_page(actor, page=int_param(request.GET.get("page")) or 1)
    except PageOutOfRange:
        raise Http404(_("没有这一页。")) from None
    context = {
        "form": form,
        "jobs": page.items,
        "page": page,
        "kinds": [(k, v) for k, v in ImportKind.choices if k in SUPPORTED_KINDS],
        "may_import": can_import(actor),
    }
    return render(request, "imports/list.html", context)


@login_required
def import_detail_view(request: HttpRequest, job_id: int) -> HttpResponse:
    job, _actor = _access(request, job_id)
    return redirect(STEP_OF[ImportStatus(job.status)], job.pk)


@login_required
def import_mapping_view(request: HttpRequest, job_id: int) -> HttpResponse:
    job, actor = _access(request, job_id)
    if job.status not in (ImportStatus.MAPPING, ImportStatus.CHECKED, ImportStatus.FAILED):
        return redirect("imports:detail", job.pk)
    form = MappingForm(job, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            import_mapping_set(
                actor=actor,
                job=job,
                mapping=form.mapping(),
                value_mapping={**(job.value_mapping or {}), **form.value_mapping()},
            )
            if form.cleaned_data["save_as"]:
                mapping_save(actor=actor, job=job, name=form.cleaned_data["save_as"])
        except (ValidationError, KehuError) as exc:
            add_service_errors(form, exc)
        else:
            if "check" in request.POST:
                import_check_task(job.pk)
                return redirect("imports:detail", job.pk)
            return redirect("imports:mapping", job.pk)
    return render(request, "imports/mapping.html", {"job": job, "form": form})


@login_required
def import_check_view(request: HttpRequest, job_id: int) -> HttpResponse:
    job, actor = _access(request, job_id)
    if job.status != ImportStatus.CHECKED:
        return redirect("imports:detail", job.pk)
    form = OptionsForm(actor, job, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_options_set(
                actor=actor,
                job=job,
                policy=form.cleaned_data["policy"],
                all_or_nothing=form.cleaned_data["all_or_nothing"],
                owner_rule=form.cleaned_data["owner_rule"],
                owner_user=form.cleaned_data.get("owner_user"),
                owner_team=form.cleaned_data.get("owner_team"),
            )
        except (ValidationError, KehuError) as exc:
            add_service_errors(form, exc)
        else:
            if job.status == ImportStatus.MAPPING:  # the counts depend on what changed
                messages.info(request, _("设置已更改，已重新检查。"))
                import_check_task(job.pk)
            else:
                import_run_task(job.pk)
            return redirect("imports:detail", job.pk)
    rows = report_rows(job)[:PAGE_SIZE]
    return render(
        request,
        "imports/check.html",
        {"job": job, "form": form, "rows": rows, "reported": report_count(job)},
    )


@login_required
def import_progress_view(request: HttpRequest, job_id: int) -> HttpResponse:
    job, _actor = _access(request, job_id)
    if _htmx(request) and not job.is_busy and job.status != ImportStatus.UPLOADED:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("imports:detail", args=[job.pk])
        return response
    if not job.is_busy and job.status != ImportStatus.UPLOADED:
        return redirect("imports:detail", job.pk)
    template = "imports/progress.html#progress" if _htmx(request) else "imports/progress.html"
    return render(request, template, {"job": job})


@require_POST
@login_required
def import_resume_view(request: HttpRequest, job_id: int) -> HttpResponse:
    """A run whose worker died (still "running", no progress for a while): go on."""
    job, _actor = _access(request, job_id)
    if job.status == ImportStatus.RUNNING:
        import_run_task(job.pk, resume=True)
    elif job.status == ImportStatus.UPLOADED:
        import_read_task(job.pk)
    return redirect("imports:detail", job.pk)


@login_required
def import_summary_view(request: HttpRequest, job_id: int) -> HttpResponse:
    job, actor = _access(request, job_id)
    if job.status not in (ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.UNDONE):
        return redirect("imports:detail", job.pk)
    created = (
        ImportRow.objects.filter(job=job, done=True, outcome=RowOutcome.NEW)
        .exclude(target_id=None)
        .values_list("target_id", flat=True)[:20]
    )
    context = {
        "job": job,
        "created": record_links(job, dict.fromkeys(pk for pk in created if pk is not None)),
        "created_title": created_title(job),
        "list_link": list_link(job),
        "reported": report_count(job),
        "undo_form": UndoForm(),
        "may_undo": can_undo(actor) and job.status == ImportStatus.DONE,
    }
    return render(request, "imports/summary.html", context)


@require_POST
@login_required
def import_undo_view(request: HttpRequest, job_id: int) -> HttpResponse:
    job, actor = _access(request, job_id)
    form = UndoForm(request.POST)
    force = form.is_valid() and form.cleaned_data["force"]
    try:
        result = import_undo(actor=actor, job=job, force=force)
    except KehuError as exc:
        messages.error(request, exc.message)
        return redirect("imports:summary", job.pk)
    messages.success(
        request,
        _("已撤销：删除 %(removed)d 位新建的客户，恢复 %(restored)d 位客户的原值。")
        % {"removed": result.removed, "restored": result.restored}
        if job.kind == "customers"
        else _("已撤销：移除 %(removed)d 条导入的记录，恢复 %(restored)d 条记录的原值。")
        % {"removed": result.removed, "restored": result.restored},
    )
    if result.changed:
        job.refresh_from_db()
        links = dict(record_links(job, [cid for _n, cid, _name in result.changed]))
        return render(
            request,
            "imports/summary.html",
            {
                "job": job,
                "created": [],
                "reported": report_count(job),
                "undo_form": UndoForm(initial={"force": True}),
                "may_undo": True,
                "changed": [
                    (number, links.get(cid, ""), name or f"#{cid}")
                    for number, cid, name in result.changed
                ],
            },
        )
    return redirect("imports:summary", job.pk)


@login_required
def import_errors_view(request: HttpRequest, job_id: int) -> FileResponse:
    job, _actor = _access(request, job_id)
    if job.status in (ImportStatus.UPLOADED, ImportStatus.READING, ImportStatus.MAPPING):
        raise Http404
    return FileResponse(
        report_file(job),
        as_attachment=True,
        filename=report_filename(job),
        content_type=XLSX_TYPE,
    )


@login_required
def import_template_view(request: HttpRequest, kind: str) -> FileResponse:
    actor = request_actor(request)
    if not can_import(actor) or kind not in ImportKind.values:
        raise Http404
    return template_response(kind)
