"""The downloadable ``导入模板.xlsx`` of each kind: the headers the mapping recognises,
one sample row and the allowed values of every choice field."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

from django.http import FileResponse
from django.utils.translation import gettext as _

from kehu.core.exports import XLSX_TYPE
from kehu.imports.fields import CHOICE, fields_for
from kehu.imports.templates_xlsx import TemplateColumn, template_workbook


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
    """The template workbook of ``kind`` as an open file for a ``FileResponse``."""
    columns = [TemplateColumn(**c) for c in template_columns(kind)]
    return io.BytesIO(template_workbook(kind, columns))


def template_response(kind: str) -> FileResponse:
    name = _("导入模板") + ".xlsx"
    response = FileResponse(
        template_handle(kind), as_attachment=True, filename=name, content_type=XLSX_TYPE
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response
