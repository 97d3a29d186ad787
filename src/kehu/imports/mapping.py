"""Which field each column of a file goes to, and which choice each value means.

``mapping_suggest`` reads the headers (Chinese or English, the exports of other CRMs)
and the admin's custom fields; ``choice_for`` turns a cell of a choice column into the
choice (男/M/先生 → male), the user's value mapping first. A mapping saved under a name
is offered again for a file with the same headers (``mapping_saved_for``)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.customers.models import CustomFieldDefinition
from kehu.customers.selectors import custom_field_definitions
from kehu.imports.fields import CHOICE, ImportField, field_by_key, fields_for
from kehu.imports.models import ImportJob, SavedMapping, header_signature

IGNORE = ""
CUSTOM_PREFIX = "custom:"
_NOISE = re.compile(r"[\s\u3000_\-:：*（）()\[\]【】]+")


def fold(text: object) -> str:
    """A header or a value as compared: half-width, lower case, no spaces or marks."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", str(text or "")).lower())


def _fold_keep(text: object) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip().lower()


def field_choices(kind: str) -> list[tuple[str, str]]:
    """Every target a column can have: the kind's fields, custom fields, ignore."""
    out = [(IGNORE, _("忽略此列"))]
    out += [(f.key, str(f.label)) for f in fields_for(kind)]
    if kind == "customers":
        out += [
            (CUSTOM_PREFIX + d.key, _("自定义：%(label)s") % {"label": d.label})
            for d in custom_field_definitions()
        ]
    return out


def mapping_suggest(
    kind: str, headers: list[str], definitions: list[CustomFieldDefinition] | None = None
) -> dict[str, str]:
    """A field for every header that names one (each non-repeatable field once)."""
    words: dict[str, str] = {}
    for spec in fields_for(kind):
        words[fold(spec.label)] = spec.key
        for alias in spec.aliases:
            words.setdefault(fold(alias), spec.key)
    if kind == "customers":
        if definitions is None:
            definitions = custom_field_definitions()
        for definition in definitions:
            words.setdefault(fold(definition.label), CUSTOM_PREFIX + definition.key)
            words.setdefault(fold(definition.key), CUSTOM_PREFIX + definition.key)
    taken: set[str] = set()
    mapping: dict[str, str] = {}
    for header in headers:
        key = words.get(fold(header), IGNORE)
        known = field_by_key(kind, key)
        if key and key in taken and not (known and known.repeatable):
            key = IGNORE
        if key:
            taken.add(key)
        mapping[header] = key
    return mapping


def mapping_clean(kind: str, headers: list[str], mapping: dict[str, Any]) -> dict[str, str]:
    """The mapping as given, checked: known targets, non-repeatable ones once, a name."""
    allowed = {key for key, _label in field_choices(kind)}
    cleaned: dict[str, str] = {}
    used: dict[str, str] = {}
    errors: list[str] = []
    for header in headers:
        key = str(mapping.get(header) or IGNORE)
        if key not in allowed:
            errors.append(_("“%(header)s”：未知字段。") % {"header": header})
            continue
        spec = field_by_key(kind, key)
        if key and key in used and not (spec and spec.repeatable):
            errors.append(_("“%(a)s”和“%(b)s”映射到了同一个字段。") % {"a": used[key], "b": header})
        used.setdefault(key, header)
        cleaned[header] = key
    if kind == "customers" and "name" not in used:
        errors.append(_("必须有一列映射到“客户名称”。"))
    if kind == "products" and not {"name", "sku"} & set(used):
        errors.append(_("必须有一列映射到“商品名称”或“货号”。"))
    required = {"orders": ("external_id", "customer", "ordered_at"), "interactions": ("customer",)}
    if kind in required:
        for key in required[kind]:
            if key not in used:
                label = field_by_key(kind, key).label  # type: ignore[union-attr]
                errors.append(_("必须有一列映射到“%(field)s”。") % {"field": label})
    if errors:
        raise ValidationError(errors)
    return cleaned


_SYNONYMS: dict[int, tuple[dict[str, str], dict[str, str]]] = {}


def _synonyms(spec: ImportField) -> tuple[dict[str, str], dict[str, str]]:
    """A field's synonyms folded two ways, once per process (a file checks the same
    field in every row)."""
    key = id(spec.synonyms)
    if key not in _SYNONYMS:
        _SYNONYMS[key] = (
            {_fold_keep(k): v for k, v in spec.synonyms.items()},
            {fold(k): v for k, v in spec.synonyms.items()},
        )
    return _SYNONYMS[key]


def choice_for(spec: ImportField, raw: object, value_mapping: dict[str, dict[str, str]]) -> str:
    """The choice ``raw`` means for ``spec``; ``ValidationError`` when none."""
    text = str(raw if raw is not None else "").strip()
    if not text:
        return ""
    own = value_mapping.get(spec.key) or {}
    if text in own:
        return own[text]
    folded = _fold_keep(text)
    for word, value in own.items():
        if _fold_keep(word) == folded:
            return value
    kept, folded_all = _synonyms(spec)
    if folded in kept:
        return kept[folded]
    if fold(text) in folded_all:
        return folded_all[fold(text)]
    labels = "、".join(str(label) for value, label in spec.choices if value)
    raise ValidationError(
        _("“%(value)s”不是%(field)s的可选值（可选：%(labels)s）。")
        % {"value": text[:50], "field": spec.label, "labels": labels}
    )


def value_mapping_needed(job: ImportJob) -> dict[str, dict[str, Any]]:
    """For each choice field mapped: the values seen in the file that no synonym
    explains (they need the user), and those understood, with their choice."""
    out: dict[str, dict[str, Any]] = {}
    for header, key in (job.mapping or {}).items():
        spec = field_by_key(job.kind, key)
        if spec is None or spec.reads != CHOICE:
            continue
        entry = out.setdefault(key, {"spec": spec, "values": []})
        for raw in (job.samples or {}).get(header, []):
            try:
                value = choice_for(spec, raw, job.value_mapping or {})
            except ValidationError:
                value = None
            entry["values"].append((str(raw), value))
    return out


def mapping_saved_for(kind: str, headers: list[str]) -> SavedMapping | None:
    return SavedMapping.objects.filter(kind=kind, signature=header_signature(kind, headers)).first()


@transaction.atomic
def mapping_save(*, actor: User, job: ImportJob, name: str) -> SavedMapping:
    name = name.strip()[:100]
    if not name:
        raise ValidationError({"name": [_("请填写名称。")]})
    saved, _created = SavedMapping.objects.update_or_create(
        kind=job.kind,
        name=name,
        defaults={
            "signature": header_signature(job.kind, job.headers),
            "mapping": job.mapping,
            "value_mapping": job.value_mapping,
            "user": actor,
        },
    )
    return saved


def mapping_by_name(kind: str, name: str) -> SavedMapping | None:
    return SavedMapping.objects.filter(kind=kind, name=name).first()
