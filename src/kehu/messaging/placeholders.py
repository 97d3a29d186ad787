"""Message placeholders: ``{称呼}`` ``{姓名}`` ``{公司}`` ``{生日}`` ``{负责人}`` and the
per-customer keys a caller supplies (``{链接}``).

Text is filled with a regular expression, never ``str.format`` (a body typed by a user
must not reach Python's format machinery). A brace pair that is not a placeholder
name (``{ }``, ``{{``) is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kehu.customers.models import Customer, CustomerKind, Gender

KNOWN = ("称呼", "姓名", "公司", "生日", "负责人")
PLACEHOLDER = re.compile(r"\{([^{}\s]{1,20})\}")

# Two-character surnames (复姓) common enough to matter in a greeting.
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "令狐",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "万俟",
        "闻人",
        "澹台",
        "公冶",
        "宗政",
        "濮阳",
        "太叔",
        "申屠",
        "钟离",
        "呼延",
        "单于",
    ]
)


def placeholders_in(*texts: str) -> list[str]:
    seen: list[str] = []
    for text in texts:
        for name in PLACEHOLDER.findall(text or ""):
            if name not in seen:
                seen.append(name)
    return seen


def template_validate(*, subject: str, body: str, extra_keys: Iterable[str] = ()) -> None:
    """Raise a field ``ValidationError`` naming each unknown placeholder."""
    allowed = set(KNOWN) | set(extra_keys)
    errors: dict[str, list[str]] = {}
    for field, text in (("subject", subject), ("body", body)):
        unknown = [name for name in placeholders_in(text) if name not in allowed]
        if unknown:
            errors[field] = [
                _("未知的占位符：%(names)s。可用：%(known)s")
                % {
                    "names": _("、").join("{" + n + "}" for n in unknown),
                    "known": _("、").join("{" + n + "}" for n in sorted(allowed, key=_order)),
                }
            ]
    if errors:
        raise ValidationError(errors)


def _order(name: str) -> tuple[int, str]:
    return (KNOWN.index(name), name) if name in KNOWN else (len(KNOWN), name)


def surname(name: str) -> str:
    name = name.strip()
    if not name:
        return ""
    if name.isascii():  # "John Smith" → "Smith"
        return name.split()[-1]
    return name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]


def salutation(customer: Customer) -> str:
    """称呼: 王先生 / 欧阳女士 for people, the name for companies or unknown gender."""
    if customer.kind == CustomerKind.COMPANY:
        return customer.name
    family = surname(customer.name)
    if customer.gender == Gender.MALE and family:
        return _("%(surname)s先生") % {"surname": family}
    if customer.gender == Gender.FEMALE and family:
        return _("%(surname)s女士") % {"surname": family}
    return customer.name


def customer_values(customer: Customer, owner_label: str = "") -> dict[str, str]:
    """The standard placeholders for ``customer``; ``owner_label`` saves a query."""
    company = (
        customer.name
        if customer.kind == CustomerKind.COMPANY
        else str((customer.custom_fields or {}).get("company", ""))
    )
    birthday = (
        _("%(m)d月%(d)d日") % {"m": customer.birthday.month, "d": customer.birthday.day}
        if customer.birthday
        else ""
    )
    return {
        "称呼": salutation(customer),
        "姓名": customer.name,
        "公司": company,
        "生日": birthday,
        "负责人": owner_label,
    }


class MissingValue(Exception):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def render(text: str, values: Mapping[str, str]) -> str:
    """Fill ``text``; raises ``MissingValue`` for a placeholder without a value."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        raise MissingValue(name)

    return PLACEHOLDER.sub(fill, text or "")
