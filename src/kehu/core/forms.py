"""Form helpers shared by every app's views."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from kehu.core.errors import KehuError


def add_service_errors(form: forms.BaseForm, error: ValidationError | KehuError) -> None:
    """Put a service's refusal on the form: each message on its field, the rest above them.

    A service names fields as the model does; ``customer_id`` lands on the form's
    ``customer`` field when the form has no ``customer_id``. A message for a field the
    form does not show, a ``KehuError`` and a plain ``ValidationError`` go above the fields.
    """
    if isinstance(error, KehuError):
        form.add_error(None, error.message)
        return
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, messages in error.message_dict.items():
        field: str | None = name
        if name not in form.fields:
            field = name.removesuffix("_id") if name.removesuffix("_id") in form.fields else None
        form.add_error(field, messages)


def keep_input_after_conflict(form: forms.BaseForm, posted: QueryDict, error: KehuError) -> None:
    """After a version conflict, show the form again with what the user typed and the
    current version: a second submit, after they have looked, goes through."""
    data = posted.copy()
    data["version"] = str(error.details.get("current_version", ""))
    form.data = data
