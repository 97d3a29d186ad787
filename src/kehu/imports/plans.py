"""The dry run's row plans kept for the run.

The dry run checks every row with the customer services (``customer_prepare``); the
values it checked are stored on the row's record (``ImportRow.plan``) so that the run
writes them without reading the file and checking each row a second time. What those
checks depended on — the importer and their role, the mapping, the value mapping and
the custom fields — is summed up in ``plan_key``; when any of it changed since the dry
run, the run plans from the file again. What the database holds (duplicates, owners
that may still be given customers) is checked again by the run in either case.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from kehu.customers.selectors import custom_field_definitions
from kehu.imports.models import ImportJob


def plan_key(job: ImportJob) -> str:
    """A digest of what a row's checks depended on besides the database."""
    definitions = [
        (d.key, d.kind, d.choices, d.required, d.updated_at) for d in custom_field_definitions()
    ]
    user = job.user
    text = json.dumps(
        [
            job.kind,
            user.pk,
            user.role,
            user.is_superuser,
            user.team_id,
            job.mapping,
            job.value_mapping,
            job.headers,
            definitions,
        ],
        cls=DjangoJSONEncoder,
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode()).hexdigest()


class ModelValues:
    """A model's field values as JSON (only those that differ from the defaults) and
    back: what a checked, unsaved instance holds, without checking it again."""

    def __init__(self, model: type[models.Model], skip: tuple[str, ...]):
        self.model = model
        self.fields = {
            f.attname: f
            for f in model._meta.concrete_fields
            if not f.primary_key and f.attname not in skip
        }
        self.defaults = {name: f.get_default() for name, f in self.fields.items()}

    def dump(self, instance: models.Model) -> dict[str, Any]:
        out = {}
        for name in self.fields:
            value = getattr(instance, name)
            if value != self.defaults[name]:
                out[name] = value
        return out

    def load(self, values: dict[str, Any], **extra: Any) -> Any:
        return self.model(
            **{name: self.fields[name].to_python(value) for name, value in values.items()},
            **extra,
        )
