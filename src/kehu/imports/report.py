"""The error report: the rows not imported (or, before the run, that would not be),
as the file had them, with the row number and a column saying what is wrong."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from kehu.core.exports import xlsx_file
from kehu.imports.models import ImportJob, ImportRow, RowOutcome

REPORTED = (RowOutcome.ERROR, RowOutcome.DUPLICATE, RowOutcome.SKIPPED)


def report_rows(job: ImportJob) -> Any:
    """The reported rows of the run if it started, else of the dry run."""
    done = job.started_at is not None
    return (
        ImportRow.objects.filter(job=job, done=done, outcome__in=REPORTED)
        .order_by("number")
        .values_list("number", "outcome", "error", "cells")
    )


def report_count(job: ImportJob) -> int:
    return int(report_rows(job).count())


def report_file(job: ImportJob) -> IO[bytes]:
    labels = dict(RowOutcome.choices)
    header = [_("行号"), _("结果"), _("问题"), *job.headers]

    def rows() -> Any:
        for number, outcome, error, cells in report_rows(job).iterator(chunk_size=2000):
            yield [number, str(labels.get(outcome, outcome)), error, *(cells or [])]

    return xlsx_file(header, rows(), sheet=str(_("未导入的行")))  # type: ignore[no-any-return]


def report_write_next_to(job: ImportJob, path: Path) -> Path:
    """Write the report beside the imported file (the command line)."""
    target = path.with_name(f"{path.stem}.errors.xlsx")
    with report_file(job) as handle, target.open("wb") as out:
        shutil.copyfileobj(handle, out)
    return target


def report_filename(job: ImportJob) -> str:
    return f"{Path(job.original_name).stem}-{_('错误报告')}.xlsx"
