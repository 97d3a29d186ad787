"""Validation of admin-defined custom field values (stored as JSON on the customer)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kehu.core.dates import business_date_check
from kehu.customers.models import CustomFieldDefinition, CustomFieldKind

MAX_TEXT = 500


def custom_field_value_clean(definition: CustomFieldDefinition, value: Any) -> Any:
    """Return the stored (JSON) form of ``value`` or raise ``ValidationError``."""
    if value is None or value == "":
        if definition.required:
            raise ValidationError(_("此字段为必填项。"), code="required")
        return None
    kind = definition.kind
    if kind == CustomFieldKind.TEXT:
        text = str(value).strip()
        if len(text) > MAX_TEXT:
            raise ValidationError(
                _("最多 %(max)d 个字符。"), code="max_length", params={"max": MAX_TEXT}
            )
        return text
    if kind == CustomFieldKind.NUMBER:
        if isinstance(value, bool):
            raise ValidationError(_("请输入数字。"), code="invalid")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValidationError(_("请输入数字。"), code="invalid") from None
        if not number.is_finite() or abs(number) >= Decimal("1e15"):
            raise ValidationError(_("请输入数字。"), code="invalid")
        return str(number.normalize()) if number != number.to_integral() else str(int(number))
    if kind == CustomFieldKind.DATE:
        if isinstance(value, dt.date):
            day = value
        else:
            try:
                day = dt.date.fromisoformat(str(value).strip())
            except ValueError:
                raise ValidationError(_("请输入 YYYY-MM-DD 格式的日期。"), code="invalid") from None
        business_date_check(day)
        return day.isoformat()
    if kind == CustomFieldKind.CHOICE:
        text = str(value).strip()
        if text not in (definition.choices or []):
            raise ValidationError(
                _("“%(value)s”不是可选项。"), code="invalid_choice", params={"value": text}
            )
        return text
    raise ValidationError(_("未知字段类型。"), code="invalid")


def custom_fields_clean(
    definitions: list[CustomFieldDefinition], values: dict[str, Any], *, partial: bool = False
) -> dict[str, Any]:
    """Validate every value; unknown keys are errors. Errors are keyed ``custom_<key>``."""
    known = {d.key: d for d in definitions}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for key in values:
        if key not in known:
            errors[f"custom_{key}"] = [_("未知的自定义字段：%(key)s") % {"key": key}]
    for key, definition in known.items():
        if partial and key not in values:
            continue
        try:
            value = custom_field_value_clean(definition, values.get(key))
        except ValidationError as exc:
            errors[f"custom_{key}"] = exc.messages
            continue
        if value is not None:
            cleaned[key] = value
    if errors:
        raise ValidationError(errors)
    return cleaned
