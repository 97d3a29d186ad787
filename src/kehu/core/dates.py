"""Dates people type: one range, one message, one type for the forms and the API.

Every date or time a person enters — a task's due time, when an interaction or a
complaint happened, an order's or a refund's time, a report's period, a birthday —
goes through one of these, so a typo (9999-12-31, a Unix timestamp) is refused with
a message that says what is allowed instead of being stored and breaking a page:

=====================  ==============================================================
what                   allowed
=====================  ==============================================================
business date / time   1900-01-01 … 2100-12-31 (the year of the time as given)
birthday               1900-01-01 … today
=====================  ==============================================================

* Forms: ``BusinessDateField``, ``BusinessDateTimeField``, ``BirthdayField``.
* The API: ``ApiDate``, ``ApiDateTime``, ``ApiBirthday`` (pydantic types). ISO 8601
  text only (``2025-03-01``, ``2025-03-01T10:30:00+08:00``): pydantic's lax parsing
  would take ``1700000000`` for a Unix timestamp and ``20250301`` for a date.
* Services: ``business_date_check``, ``business_moment_check``, ``birthday_check``
  (Django ``ValidationError``), for callers that are neither.

Rows stored before these checks may hold anything (0001-01-01, 9999-12-31): code that
computes from a stored date (the next birthday, a lunar date) asks ``birthday_usable``
first and skips what it cannot compute rather than failing the page.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)
FIRST_BIRTHDAY = FIRST_DAY

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# YYYY-MM-DD, then a time with ``T`` or a space, optional seconds and fraction, an
# optional zone (Z or ±HH:MM): what ``datetime.fromisoformat`` reads, minus the compact
# forms (``20250301T1030``) nobody types.
_ISO_MOMENT = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$"
)


# --- the messages ------------------------------------------------------------------------


def range_message() -> str:
    return _("时间应在 %(first)d 年至 %(last)d 年之间。") % {
        "first": FIRST_DAY.year,
        "last": LAST_DAY.year,
    }


def birthday_message(today: dt.date | None = None) -> str:
    today = today or timezone.localdate()
    return _("生日应在 %(first)s 至今天（%(today)s）之间。") % {
        "first": FIRST_BIRTHDAY.isoformat(),
        "today": today.isoformat(),
    }


def iso_date_message() -> str:
    return _(
        "请使用 ISO 8601 日期，例如 2025-03-01（年份在 %(first)d 至 %(last)d 之间）；"
        "不接受 Unix 时间戳。"
    ) % {"first": FIRST_DAY.year, "last": LAST_DAY.year}


def iso_moment_message() -> str:
    return _(
        "请使用 ISO 8601 日期时间，例如 2025-03-01T10:30:00+08:00（年份在 %(first)d 至 "
        "%(last)d 之间）；不接受 Unix 时间戳。"
    ) % {"first": FIRST_DAY.year, "last": LAST_DAY.year}


# --- checks ------------------------------------------------------------------------------


def business_date_ok(value: dt.date) -> bool:
    day = value.date() if isinstance(value, dt.datetime) else value
    return FIRST_DAY <= day <= LAST_DAY


def birthday_usable(value: dt.date | None, today: dt.date | None = None) -> bool:
    """Whether a stored birthday is one to compute from (a next birthday, a lunar
    date, an age): 1900-01-01 to today. Old rows may hold anything."""
    if value is None:
        return False
    return FIRST_BIRTHDAY <= value <= (today or timezone.localdate())


def business_date_check(value: dt.date | None, field: str | None = None) -> None:
    """Raise ``ValidationError`` (keyed by ``field`` when given) outside 1900–2100."""
    if value is not None and not business_date_ok(value):
        _raise(range_message(), field)


def business_moment_check(value: dt.datetime | None, field: str | None = None) -> None:
    business_date_check(value, field)


def birthday_check(
    value: dt.date | None, field: str | None = None, today: dt.date | None = None
) -> None:
    if value is not None and not birthday_usable(value, today):
        _raise(birthday_message(today), field)


def _raise(message: str, field: str | None) -> None:
    error = ValidationError(message, code="date_range")
    raise ValidationError({field: error}) if field else error


# --- form fields -------------------------------------------------------------------------


class BusinessDateField(forms.DateField):
    """A date between 1900-01-01 and 2100-12-31 (the browser's date picker says so too)."""

    def __init__(self, **kwargs: Any) -> None:
        # ``type=date`` takes ISO only (the locale's 2025/03/01 would show empty).
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {**super().widget_attrs(widget), **self._bounds()}

    def _bounds(self) -> dict[str, str]:
        return {"min": FIRST_DAY.isoformat(), "max": LAST_DAY.isoformat()}

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value not in self.empty_values and not business_date_ok(value):
            raise ValidationError(range_message(), code="date_range")


class BirthdayField(BusinessDateField):
    """A birthday: 1900-01-01 to today."""

    def _bounds(self) -> dict[str, str]:
        # The upper bound moves with the day: given as the form renders, not at import.
        return {"min": FIRST_BIRTHDAY.isoformat()}

    def validate(self, value: Any) -> None:
        forms.DateField.validate(self, value)
        if value not in self.empty_values and not birthday_usable(value):
            raise ValidationError(birthday_message(), code="date_range")


class BusinessDateTimeField(forms.DateTimeField):
    """A local date and time between 1900 and 2100 (``datetime-local`` in the browser)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        )
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {
            **super().widget_attrs(widget),
            "min": f"{FIRST_DAY.isoformat()}T00:00",
            "max": f"{LAST_DAY.isoformat()}T23:59",
        }

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value not in self.empty_values and not business_date_ok(value):
            raise ValidationError(range_message(), code="date_range")


# --- API (pydantic) types ----------------------------------------------------------------


def _api_error(message: str) -> PydanticCustomError:
    # A custom error: its message is shown as it is (a ``ValueError`` would be prefixed
    # with "Value error, ").
    return PydanticCustomError("kehu_date", message)


def _iso_date(value: Any) -> Any:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _api_error(iso_date_message())


def _iso_moment(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_MOMENT.match(value.strip()):
        text = value.strip()
        if not FIRST_DAY.year <= int(text[:4]) <= LAST_DAY.year:
            raise _api_error(range_message())  # before a zone could overflow it
        try:
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            pass
    raise _api_error(iso_moment_message())


def _in_range(value: Any) -> Any:
    if not business_date_ok(value):
        raise _api_error(range_message())
    return value


def _a_birthday(value: dt.date) -> dt.date:
    if not birthday_usable(value):
        raise _api_error(birthday_message())
    return value


ApiDate = Annotated[dt.date, BeforeValidator(_iso_date), AfterValidator(_in_range)]
ApiDateTime = Annotated[dt.datetime, BeforeValidator(_iso_moment), AfterValidator(_in_range)]
ApiBirthday = Annotated[dt.date, BeforeValidator(_iso_date), AfterValidator(_a_birthday)]
