"""Exports: plan (which rows, which columns, how big), then stream at once or hand to
the job queue; every one recorded (``ExportRecord``).

    plan = export_plan(actor=user, list_key="customers", params=request.GET,
                       columns=["name", "phones"], file_format="xlsx")
    if plan.is_big: record = export_enqueue(plan, via="web")   # then its progress page
    else: record, response = export_stream(plan, via="web")

A big export is written by ``export_run`` (a Huey task) to ``VAR_DIR/exports/`` under
a temporary name, renamed when complete, and downloadable until ``expires_at``; the
periodic ``exports_expire`` deletes expired files.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.exports.access import access_export
from kehu.exports.lists import export_list_get
from kehu.exports.models import ExportColumnChoice, ExportFormat, ExportRecord, ExportStatus
from kehu.exports.registry import Block, Column, ExportList, Source, export_blocks, export_rows
from kehu.exports.writers import csv_chunks, csv_write_blocks, xlsx_write_blocks

logger = logging.getLogger(__name__)
TABLE_FORMATS = (ExportFormat.CSV, ExportFormat.XLSX)
CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.VCF: "text/vcard; charset=utf-8",
}


@dataclass
class ExportPlan:
    actor: User
    export_list: ExportList
    source: Source
    columns: list[Column]
    file_format: str
    count: int  # rows, counted up to the job threshold + 1

    @property
    def is_big(self) -> bool:
        return self.count > settings.KEHU_EXPORT_ASYNC_ROWS

    @property
    def header(self) -> list[str]:
        return [str(c.label) for c in self.columns]

    def rows(self) -> Iterable[list[Any]]:
        """The rows, each a list of cells (tests, samples)."""
        return export_rows(self.export_list, self.actor, self.source, self.columns)

    def blocks(self) -> Iterable[Block]:
        """The rows a chunk at a time, column by column: what the writers take."""
        return export_blocks(self.export_list, self.actor, self.source, self.columns)

    def filename(self, at: dt.datetime | None = None) -> str:
        moment = timezone.localtime(at or timezone.now())
        return f"{self.export_list.key}-{moment:%Y%m%d-%H%M}.{self.file_format}"


def export_list_or_error(list_key: str) -> ExportList:
    export_list = export_list_get(list_key)
    if export_list is None:
        raise ValidationError({"list": [_("没有这个可导出的列表。")]})
    return export_list


def export_plan(
    *,
    actor: User,
    list_key: str,
    params: Mapping[str, str],
    columns: Sequence[str] | None = None,
    file_format: str = "csv",
) -> ExportPlan:
    """What an export of ``list_key`` for ``actor`` would write. ``PermissionDenied``
    when the actor may not export it; ``ValidationError`` for a bad format or list."""
    export_list = export_list_or_error(list_key)
    access_export(actor, export_list)
    if file_format not in TABLE_FORMATS:
        raise ValidationError({"format": [_("导出格式只能是 csv 或 xlsx。")]})
    known = export_list.column_map()
    unknown = [key for key in columns or () if key not in known]
    if unknown:
        raise ValidationError(
            {"columns": [_("没有这些列：%(columns)s") % {"columns": "、".join(unknown)}]}
        )
    source = export_list.source(actor, params)
    count = source.count(settings.KEHU_EXPORT_ASYNC_ROWS + 1)
    return ExportPlan(actor, export_list, source, export_list.pick(columns), file_format, count)


def export_record_create(plan: ExportPlan, *, via: str, status: str, **extra: Any) -> ExportRecord:
    return ExportRecord.objects.create(
        user=plan.actor,
        list_key=plan.export_list.key,
        filters=plan.source.filters,
        columns=[c.key for c in plan.columns],
        file_format=plan.file_format,
        status=status,
        via=via,
        **extra,
    )


def export_stream(
    plan: ExportPlan, *, via: str = "web"
) -> tuple[ExportRecord, StreamingHttpResponse | FileResponse]:
    """A small export as a response: CSV streamed as it is read, ``.xlsx`` through a
    temporary file. Recorded at once; the row count is written when the rows are."""
    record = export_record_create(plan, via=via, status=ExportStatus.RUNNING)

    def done(rows: int) -> None:
        ExportRecord.objects.filter(pk=record.pk).update(
            rows=rows, rows_total=rows, status=ExportStatus.DONE, finished_at=timezone.now()
        )

    filename = plan.filename(record.created_at)
    response: StreamingHttpResponse | FileResponse
    if plan.file_format == ExportFormat.CSV:
        response = StreamingHttpResponse(
            csv_chunks(plan.header, plan.blocks(), on_done=done),
            content_type=CONTENT_TYPES[ExportFormat.CSV],
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        handle = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it)
        done(
            xlsx_write_blocks(handle, plan.header, plan.blocks(), sheet=str(plan.export_list.sheet))
        )
        handle.seek(0)
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=filename,
            content_type=CONTENT_TYPES[ExportFormat.XLSX],
        )
    return record, response


def export_write(
    plan: ExportPlan, handle: IO[bytes], *, tick: Callable[[int], None] | None = None
) -> int:
    """Write the whole export to a binary file; the number of rows."""
    with _collector_paused():
        if plan.file_format == ExportFormat.CSV:
            return csv_write_blocks(handle, plan.header, plan.blocks(), tick)
        return xlsx_write_blocks(
            handle, plan.header, plan.blocks(), sheet=str(plan.export_list.sheet), tick=tick
        )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a big export runs: what it allocates
    (rows, cells) holds no cycles and is freed as it goes, but the collector kept
    scanning the chunk in memory — a quarter of a million-row export's time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def export_record_direct(plan: ExportPlan, *, rows: int, via: str) -> ExportRecord:
    """Record an export written elsewhere (the command line)."""
    now = timezone.now()
    return export_record_create(
        plan, via=via, status=ExportStatus.DONE, rows=rows, rows_total=rows, finished_at=now
    )


def export_record_served(user: User, *, list_key: str, file_format: str, rows: int) -> None:
    """Record a download another app served (``kehu.core.exports.export_response``)."""
    now = timezone.now()
    ExportRecord.objects.create(
        user=user,
        list_key=list_key,
        file_format=file_format,
        status=ExportStatus.DONE,
        via="web",
        rows=rows,
        rows_total=rows,
        finished_at=now,
    )


# --- big exports, on the job queue ----------------------------------------------------------


def exports_dir() -> Path:
    path = Path(settings.VAR_DIR) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def export_run(record_id: int) -> ExportRecord | None:
    """The job: write the file of a queued export. A task delivered twice runs once
    (the queued row is claimed with a conditional update)."""
    claimed = ExportRecord.objects.filter(pk=record_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING
    )
    if not claimed:
        return None
    record = ExportRecord.objects.select_related("user").get(pk=record_id)
    target = exports_dir() / f"{record.pk}-{record.list_key}.{record.file_format}"
    partial = target.with_suffix(target.suffix + ".part")
    try:
        plan = export_plan(
            actor=record.user,
            list_key=record.list_key,
            params={k: str(v) for k, v in record.filters.items()},
            columns=record.columns,
            file_format=record.file_format,
        )
        total = plan.source.count(10**9)
        ExportRecord.objects.filter(pk=record.pk).update(rows_total=total)

        def tick(rows: int) -> None:
            ExportRecord.objects.filter(pk=record.pk).update(rows=rows)

        with partial.open("wb") as handle:
            rows = export_write(plan, handle, tick=tick)
        os.replace(partial, target)
    except (PermissionDenied, ValidationError) as error:
        partial.unlink(missing_ok=True)
        _fail(
            record,
            str(_("导出权限已被关闭。")) if isinstance(error, PermissionDenied) else str(error),
        )
        return record
    except Exception as error:
        partial.unlink(missing_ok=True)
        logger.exception("export %s failed", record.pk)
        _fail(record, repr(error))
        raise
    now = timezone.now()
    ExportRecord.objects.filter(pk=record.pk).update(
        status=ExportStatus.DONE,
        rows=rows,
        rows_total=rows,
        finished_at=now,
        expires_at=now + dt.timedelta(hours=settings.KEHU_EXPORT_LINK_HOURS),
        file_name=target.name,
    )
    record.refresh_from_db()
    return record


def _fail(record: ExportRecord, message: str) -> None:
    ExportRecord.objects.filter(pk=record.pk).update(
        status=ExportStatus.ERROR, error=message[-5000:], finished_at=timezone.now()
    )


def export_file_path(record: ExportRecord) -> Path | None:
    """The file of a finished big export, if it is still there."""
    if not record.file_name or record.status != ExportStatus.DONE:
        return None
    path = exports_dir() / Path(record.file_name).name
    return path if path.exists() else None


def exports_expire(*, now: dt.datetime | None = None) -> int:
    """Delete the files of exports whose link has expired; how many."""
    now = now or timezone.now()
    expired = ExportRecord.objects.filter(status=ExportStatus.DONE, expires_at__lte=now)
    count = 0
    for record in expired:
        if record.file_name:
            (exports_dir() / Path(record.file_name).name).unlink(missing_ok=True)
        count += ExportRecord.objects.filter(pk=record.pk, status=ExportStatus.DONE).update(
            status=ExportStatus.EXPIRED
        )
    # Leftovers of a worker killed half-way, a day old.
    cutoff = now.timestamp() - 86_400
    for part in exports_dir().glob("*.part"):
        if part.stat().st_mtime < cutoff:
            part.unlink(missing_ok=True)
    return count


# --- the columns a user ticked ----------------------------------------------------------


def column_choice_get(user: User, list_key: str) -> list[str]:
    found = ExportColumnChoice.objects.filter(user=user, list_key=list_key).first()
    return list(found.columns) if found else []


def column_choice_save(user: User, list_key: str, columns: Sequence[str]) -> None:
    ExportColumnChoice.objects.update_or_create(
        user=user, list_key=list_key, defaults={"columns": list(columns)}
    )


def export_roles_save(*, actor: User, allowed: Sequence[str]) -> None:
    """Switch exporting on for the roles in ``allowed`` and off for the others."""
    from kehu.accounts.models import Role
    from kehu.exports.access import access_export_admin
    from kehu.exports.models import ExportRoleSetting

    access_export_admin(actor)
    for value in Role.values:
        ExportRoleSetting.objects.update_or_create(
            role=value, defaults={"enabled": value in allowed, "updated_by": actor}
        )
