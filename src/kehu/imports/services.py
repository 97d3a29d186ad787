"""The steps of an import that are not rows: upload, read, mapping, options.

Each step checks the actor's rights (kehu.imports.access) and the job's status, and
moves the job along ``ImportStatus``. Reading, checking and running are long: they run
as jobs (kehu.imports.tasks) and only their start is decided here."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import Team, User
from kehu.accounts.selectors import users_assignable_by
from kehu.core.errors import KehuError
from kehu.imports.access import can_import, owner_rules_for, policies_for
from kehu.imports.mapping import (
    mapping_by_name,
    mapping_clean,
    mapping_saved_for,
    mapping_suggest,
)
from kehu.imports.models import DuplicatePolicy, ImportJob, ImportKind, ImportStatus, OwnerRule
from kehu.imports.readers import FileRejected, file_kind, sheet_names
from kehu.imports.rows import chunks, import_fail, job_path, job_table
from kehu.orders.access import can_manage_products

MAX_SAMPLES = 30  # distinct values kept per column (for value mapping)
SUPPORTED_KINDS = tuple(ImportKind)


class ImportStateError(KehuError):
    code = "import_state"
    status = 409


def _safe_name(name: str) -> str:
    base = Path(name or "upload").name.replace("\x00", "")
    return base[-120:] or "upload"


@transaction.atomic
def import_upload(
    *, actor: User, source: IO[bytes] | Path, name: str, kind: str, sheet: str = ""
) -> ImportJob:
    """Store the file under ``VAR_DIR/imports/<id>/`` and record the import. A file
    that is no workbook, CSV or vCard at all (or too big, or empty) raises
    ``FileRejected`` and nothing is kept."""
    if not can_import(actor):
        raise PermissionDenied
    if kind not in ImportKind.values:
        raise ValidationError({"kind": [_("未知的导入内容。")]})
    if kind == ImportKind.PRODUCTS and not can_manage_products(actor):
        raise PermissionDenied
    job = ImportJob.objects.create(
        user=actor, kind=kind, original_name=_safe_name(name)[:255], sheet=sheet[:100]
    )
    folder = Path(settings.VAR_DIR) / job.directory
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / ("upload" + Path(_safe_name(name)).suffix.lower()[:10])
    if isinstance(source, Path):
        shutil.copyfile(source, target)
    else:
        with target.open("wb") as out:
            shutil.copyfileobj(source, out, 1024 * 1024)
    try:
        file_kind(target)  # not a file we read at all: say so now, keep nothing
    except FileRejected:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    job.file_path = str(target.relative_to(Path(settings.VAR_DIR)))
    job.size = target.stat().st_size
    job.save(update_fields=["file_path", "size"])
    return job


def _sample(value: Any) -> str:
    return str(value).strip()[:100] if value is not None else ""


def import_read(job: ImportJob) -> ImportJob:
    """Read the file once: headers, rows, a few distinct values of every column; then
    suggest a mapping (a saved one for the same headers, if any)."""
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.READING, progress=0.0)
    try:
        sheets = sheet_names(job_path(job))
        with job_table(job) as table:
            samples: dict[str, list[str]] = {h: [] for h in table.headers}
            total = 0
            for chunk in chunks(table.rows, 2000):
                for row in chunk:
                    total += 1
                    for header, cell in zip(table.headers, row.cells, strict=False):
                        values = samples[header]
                        text = _sample(cell)
                        if text and len(values) < MAX_SAMPLES and text not in values:
                            values.append(text)
                if table.total:
                    ImportJob.objects.filter(pk=job.pk).update(
                        progress=min(0.99, total / table.total)
                    )
            headers, header_row, sheet = table.headers, table.header_row, table.sheet
    except FileRejected as exc:
        return import_fail(job, exc.message)
    if total == 0:
        return import_fail(job, _("文件中没有数据行。"))
    saved = mapping_saved_for(job.kind, headers)
    job.sheets = sheets
    job.sheet = sheet or ""
    job.headers = headers
    job.header_row = header_row
    job.total_rows = total
    job.samples = samples
    job.mapping = saved.mapping if saved else mapping_suggest(job.kind, headers)
    job.value_mapping = saved.value_mapping if saved else {}
    job.status = ImportStatus.MAPPING
    job.progress = 1.0
    job.message = ""
    job.save()
    return job


EDITABLE = (
    ImportStatus.UPLOADED,
    ImportStatus.MAPPING,
    ImportStatus.CHECKED,
    ImportStatus.FAILED,
)


def _editable(job: ImportJob) -> None:
    if job.status not in EDITABLE or job.started_at is not None:
        raise ImportStateError(_("这次导入已经开始或结束，不能再修改。"))


@transaction.atomic
def import_mapping_set(
    *,
    actor: User,
    job: ImportJob,
    mapping: dict[str, Any],
    value_mapping: dict[str, dict[str, str]] | None = None,
) -> ImportJob:
    """Set the columns' fields (and the choices' values); the dry run must run again."""
    if job.user_id != actor.pk and not actor.is_admin_role:
        raise PermissionDenied
    _editable(job)
    job.mapping = mapping_clean(job.kind, job.headers, mapping)
    if value_mapping is not None:
        job.value_mapping = {
            str(field): {str(k): str(v) for k, v in values.items() if v is not None}
            for field, values in value_mapping.items()
        }
    job.status = ImportStatus.MAPPING
    job.save(update_fields=["mapping", "value_mapping", "status", "updated_at"])
    return job


def import_mapping_named(*, actor: User, job: ImportJob, name: str) -> ImportJob:
    """Use the mapping saved as ``name`` (``auto``: the suggestion)."""
    if name == "auto":
        return import_mapping_set(
            actor=actor, job=job, mapping=mapping_suggest(job.kind, job.headers)
        )
    saved = mapping_by_name(job.kind, name)
    if saved is None:
        raise ValidationError({"mapping": [_("没有名为“%(name)s”的映射。") % {"name": name}]})
    return import_mapping_set(
        actor=actor, job=job, mapping=saved.mapping, value_mapping=saved.value_mapping
    )


@transaction.atomic
def import_options_set(
    *,
    actor: User,
    job: ImportJob,
    policy: str = DuplicatePolicy.SKIP,
    all_or_nothing: bool = False,
    owner_rule: str = OwnerRule.IMPORTER,
    owner_user: User | None = None,
    owner_team: Team | None = None,
) -> ImportJob:
    """The duplicate policy, all-or-nothing and who will own the new customers."""
    if job.user_id != actor.pk and not actor.is_admin_role:
        raise PermissionDenied
    _editable(job)
    errors: dict[str, list[str]] = {}
    if policy not in policies_for(actor):
        errors["policy"] = [_("您不能选择这种重复处理方式。")]
    if owner_rule not in owner_rules_for(actor):
        errors["owner_rule"] = [_("您只能导入到自己名下。")]
    if owner_rule == OwnerRule.USER:
        if owner_user is None:
            errors["owner_user"] = [_("请选择负责人。")]
        elif not users_assignable_by(actor).filter(pk=owner_user.pk).exists():
            errors["owner_user"] = [_("不能把客户分配给该用户。")]
    if owner_rule == OwnerRule.TEAM and owner_team is None:
        errors["owner_team"] = [_("请选择团队。")]
    if errors:
        raise ValidationError(errors)
    changed = policy != job.policy or owner_rule != job.owner_rule
    job.policy = policy
    job.all_or_nothing = all_or_nothing
    job.owner_rule = owner_rule
    job.owner_user = owner_user if owner_rule == OwnerRule.USER else None
    job.owner_team = owner_team if owner_rule == OwnerRule.TEAM else None
    if changed and job.status == ImportStatus.CHECKED:
        job.status = ImportStatus.MAPPING  # the dry run's counts depend on them
    job.save()
    return job


def import_claim(job: ImportJob, frm: tuple[str, ...], to: str) -> bool:
    """Move the job from one of ``frm`` to ``to`` if nobody else did (a task delivered
    twice, a double click): the conditional update is the lock."""
    moved = ImportJob.objects.filter(pk=job.pk, status__in=frm).update(
        status=to, progress=0.0, updated_at=timezone.now(), message=""
    )
    if moved:
        job.refresh_from_db()
    return bool(moved)
