"""One row of a customer file as the arguments of ``customer_prepare``.

The cells become values here (``kehu.imports.values``: Excel dates, phones stored as
numbers, full-width digits); every rule about a customer stays the customer services'.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kehu.customers.duplicates import email_key, name_key
from kehu.customers.models import CustomerKind
from kehu.imports.fields import CHOICE, DATE, LIST, PHONE, field_by_key
from kehu.imports.mapping import CUSTOM_PREFIX, choice_for
from kehu.imports.values import BadValue, as_date, as_phones, as_text

MAX_CELL = 5000  # the longest text a customer field holds (notes)
_TAG_SPLIT = re.compile(r"[,，、;；|/\n]+")
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass
class CustomerRow:
    """What a row says about a customer, ready for ``customer_prepare``."""

    data: dict[str, Any] = field(default_factory=dict)
    phones: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    custom_fields: dict[str, Any] = field(default_factory=dict)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    owner_text: str = ""

    def match_keys(self) -> list[tuple[str, str]]:
        """What duplicate detection compares (kehu.customers.duplicates): each phone,
        the e-mail, and for a company its name key in its city."""
        found = [("phone", number) for number in self.phones]
        email = email_key(self.data.get("email", ""))
        if email:
            found.append(("email", email))
        kind = self.data.get("kind") or CustomerKind.PERSON
        city = self.data.get("city", "")
        if kind == CustomerKind.COMPANY and city:
            key = name_key(self.data.get("name", ""), kind, city, self.data.get("province", ""))
            if key:
                found.append(("name", f"{city}\x1f{key}"))
        return found


def _join(parts: list[str]) -> str:
    if all(_CJK.search(p) for p in parts):
        return "".join(parts)
    return " ".join(parts)


def customer_row(
    mapping: dict[str, str],
    headers: list[str],
    cells: list[Any],
    value_mapping: dict[str, dict[str, str]],
) -> CustomerRow:
    """The row read through the mapping; ``ValidationError`` keyed by header."""
    errors: dict[str, list[str]] = {}
    collected: dict[str, list[Any]] = {}
    row = CustomerRow()
    for index, header in enumerate(headers):
        key = mapping.get(header, "")
        if not key:
            continue
        cell = cells[index] if index < len(cells) else None
        try:
            if key.startswith(CUSTOM_PREFIX):
                value = cell if not isinstance(cell, str) else as_text(cell, limit=MAX_CELL)
                if value not in (None, ""):
                    row.custom_fields[key[len(CUSTOM_PREFIX) :]] = value
                continue
            spec = field_by_key("customers", key)
            if spec is None:
                continue
            if spec.reads == PHONE:
                collected.setdefault(key, []).extend(as_phones(cell))
            elif spec.reads == DATE:
                if as_text(cell):
                    collected.setdefault(key, []).append(as_date(cell))
            elif spec.reads == CHOICE:
                choice = choice_for(spec, as_text(cell, limit=100), value_mapping)
                if choice:
                    collected.setdefault(key, []).append(choice)
            elif spec.reads == LIST:
                text = as_text(cell, limit=MAX_CELL)
                collected.setdefault(key, []).extend(
                    t.strip() for t in _TAG_SPLIT.split(text) if t.strip()
                )
            else:
                text = as_text(cell, limit=MAX_CELL)
                if text:
                    collected.setdefault(key, []).append(text)
        except BadValue as exc:
            errors.setdefault(header, []).append(str(exc))
        except ValidationError as exc:
            errors.setdefault(header, []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    for key, values in collected.items():
        if key == "phone":
            row.phones = list(dict.fromkeys(values))
        elif key == "tags":
            row.tags = values
        elif key == "owner":
            row.owner_text = values[0]
        elif key == "name":
            row.data["name"] = _join(values)
        elif key == "notes":
            row.data["notes"] = "\n".join(values)
        elif key in ("company", "title"):
            continue
        else:
            row.data[key] = values[0]
    company = (collected.get("company") or [""])[0]
    if company and not row.data.get("kind"):
        row.data["kind"] = CustomerKind.COMPANY
    if company and row.data.get("kind") == CustomerKind.COMPANY:
        person = row.data.get("name", "")
        row.data["name"] = company
        if person and person != company:
            row.contacts.append(
                {
                    "name": person[:100],
                    "title": (collected.get("title") or [""])[0][:100],
                    "phone": row.phones[0] if row.phones else "",
                    "email": row.data.get("email", ""),
                    "is_primary": True,
                }
            )
    if not row.data.get("name"):
        raise ValidationError({"name": [_("客户名称不能为空。")]})
    return row
