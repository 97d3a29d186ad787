"""The downloadable ``导入模板.xlsx`` of each kind: the headers the mapping recognises,
one sample row and the allowed values of every choice field."""

from __future__ import annotations

import tempfile
from typing import Any
from urllib.parse import quote

from django.http import FileResponse
from django.utils.translation import gettext as _

from kehu.core.exports import XLSX_TYPE
from kehu.imports.fields import CHOICE, fields_for


def template_columns(kind: str) -> list[dict[str, Any]]:
    columns = []
    for spec in fields_for(kind):
        choices = [str(label) for value, label in spec.choices if value]
        columns.append(
            {
                "header": str(spec.label),
                "sample": spec.sample,
                "choices": choices if spec.reads == CHOICE else [],
                "note": str(spec.note),
            }
        )
    return columns


def template_handle(kind: str) -> Any:
    columns = template_columns(kind)
    try:
        from kehu.imports.templates_xlsx import TemplateColumn, template_workbook
    except ImportError:  # the readers' helper not merged yet: a plain workbook
        return _plain_workbook(columns)
    handle = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it)
    handle.write(template_workbook(kind, [TemplateColumn(**c) for c in columns]))
    handle.seek(0)
    return handle


def _plain_workbook(columns: list[dict[str, Any]]) -> Any:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("数据")
    sheet.append([c["header"] for c in columns])
    sheet.append([c["sample"] for c in columns])
    notes = workbook.create_sheet(_("说明"))
    notes.append([_("列"), _("可选值"), _("说明")])
    for column in columns:
        notes.append([column["header"], "、".join(column["choices"]), column["note"]])
    handle = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it)
    workbook.save(handle)
    handle.seek(0)
    return handle


def template_response(kind: str) -> FileResponse:
    name = _("导入模板") + ".xlsx"
    response = FileResponse(
        template_handle(kind), as_attachment=True, filename=name, content_type=XLSX_TYPE
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response
