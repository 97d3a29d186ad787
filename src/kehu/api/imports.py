"""/api/v1/imports: the import without a browser, for other systems.

``POST /imports`` takes the file (multipart) and runs every step on the job queue:
read, map (a saved mapping by name, or ``auto`` from the headers), check and — unless
``dry_run`` — import. Poll ``GET /imports/{id}`` for the status and counts; the rows
not imported, with what is wrong, are ``GET /imports/{id}/errors`` (.xlsx).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import Field

from kehu.accounts.models import User
from kehu.api.auth import actor_of
from kehu.api.errors import ApiError, error_responses
from kehu.core.exports import XLSX_TYPE
from kehu.imports.access import access_import, can_import
from kehu.imports.models import ImportJob, OwnerRule
from kehu.imports.report import report_file, report_filename
from kehu.imports.services import import_options_set, import_upload
from kehu.imports.tasks import import_pipeline_task
from kehu.imports.undo import import_undo

router = Router(tags=["imports"])

Kind = Literal["customers", "orders", "interactions", "products"]
Policy = Literal["skip", "fill", "overwrite", "create"]
MAX_NAME = 255


class ImportCountsOut(Schema):
    new: int
    update: int
    duplicate: int
    error: int
    written: int


class ImportOut(Schema):
    id: int
    kind: str
    status: str = Field(
        description="uploaded, reading, mapping, checking, checked, running, done, failed or undone"
    )
    file_name: str
    rows: int | None
    counts: ImportCountsOut
    progress: float = Field(description="0 to 1 while reading, checking or running")
    policy: str
    dry_run: bool = Field(description="True while only checked (nothing written)")
    message: str = Field(description="Why it failed, when it did")
    errors_url: str | None = Field(description="The error report (.xlsx), once checked")
    created_at: dt.datetime
    finished_at: dt.datetime | None


class UndoOut(Schema):
    removed: int
    restored: int
    left: list[int] = Field(description="Customers changed since the import, left as they are")
    status: str


def _out(job: ImportJob) -> dict[str, Any]:
    checked = job.checked_at is not None
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "file_name": job.original_name,
        "rows": job.total_rows,
        "counts": {
            "new": job.new_count,
            "update": job.update_count,
            "duplicate": job.duplicate_count,
            "error": job.error_count,
            "written": job.written_count,
        },
        "progress": job.progress,
        "policy": job.policy,
        "dry_run": job.started_at is None,
        "message": job.message,
        "errors_url": f"/api/v1/imports/{job.pk}/errors" if checked else None,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


def _owner(actor: User, owner: str | None, pool: bool) -> tuple[str, User | None]:
    if pool:
        return OwnerRule.POOL, None
    if not owner:
        return OwnerRule.IMPORTER, None
    user = User.objects.filter(username=owner, is_active=True).first()
    if user is None:
        raise ApiError(422, "invalid", _("找不到负责人“%(name)s”。") % {"name": owner[:50]})
    return (OwnerRule.IMPORTER if user.pk == actor.pk else OwnerRule.USER), user


@router.post(
    "/imports",
    response={202: ImportOut, **error_responses(403, "file_rejected", "import_state")},
    summary="Import a file (.xlsx, .xls, .csv, .vcf)",
    description=(
        "Runs on the job queue: poll ``GET /imports/{id}``. ``mapping``: a saved "
        "mapping's name or ``auto``. ``policy`` ``create`` is for admins. ``owner``: a "
        "username for the new customers (managers and admins), or ``pool``."
    ),
)
def imports_create(
    request: HttpRequest,
    file: File[UploadedFile],
    kind: Form[Kind],
    mapping: Form[str] = "auto",
    policy: Form[Policy] = "skip",
    dry_run: Form[bool] = False,
    all_or_nothing: Form[bool] = False,
    owner: Form[str | None] = None,
    pool: Form[bool] = False,
) -> Any:
    actor = actor_of(request)
    if not can_import(actor):
        raise PermissionDenied
    rule, owner_user = _owner(actor, owner, pool)
    job = import_upload(
        actor=actor, source=file, name=(file.name or "upload")[:MAX_NAME], kind=kind
    )
    import_options_set(
        actor=actor,
        job=job,
        policy=policy,
        all_or_nothing=all_or_nothing,
        owner_rule=rule,
        owner_user=owner_user,
    )
    import_pipeline_task(job.pk, mapping=mapping[:100] or "auto", dry_run=dry_run)
    job.refresh_from_db()
    return Status(202, _out(job))


@router.get(
    "/imports/{import_id}",
    response={200: ImportOut, **error_responses(404)},
    summary="An import's status and counts",
)
def imports_read(request: HttpRequest, import_id: int) -> Any:
    return _out(access_import(actor_of(request), import_id))


@router.get(
    "/imports/{import_id}/errors",
    # The 200 (a file) is described in openapi_extra only: a 200 here too would be a
    # second "200" key in the document (int and str), which Swagger UI refuses to read.
    response={**error_responses(404)},
    summary="The error report (.xlsx): the rows not imported and what is wrong",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The workbook",
                "content": {XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def imports_errors(request: HttpRequest, import_id: int) -> Any:
    job = access_import(actor_of(request), import_id)
    if job.checked_at is None:
        raise ApiError(404, "not_found", _("未找到。"))
    return FileResponse(
        report_file(job), as_attachment=True, filename=report_filename(job), content_type=XLSX_TYPE
    )


@router.post(
    "/imports/{import_id}/undo",
    response={200: UndoOut, **error_responses(403, "import_state")},
    summary="Undo an import (admins)",
    description=(
        "Deletes the customers it created and restores those it updated. Customers changed "
        "since are listed in ``left`` and kept, unless ``force``."
    ),
)
def imports_undo(request: HttpRequest, import_id: int, force: bool = False) -> Any:
    actor = actor_of(request)
    job = access_import(actor, import_id)
    result = import_undo(actor=actor, job=job, force=force)
    return {
        "removed": result.removed,
        "restored": result.restored,
        "left": [cid for _n, cid, _name in result.changed],
        "status": job.status,
    }
