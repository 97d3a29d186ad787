"""vCards (``.vcf``): many cards in one file, as phones and Outlook export them,
presented as a table with fixed headers (:data:`HEADERS`), one row per card.

The file is decoded like a text file (UTF-8, or GBK from an older Outlook), then read
line by line: folded lines are joined, and so are vCard 2.1's quoted-printable soft line
breaks (a line ending in ``=``, which vobject does not join); photos, logos and sounds
are dropped unread; each card is then parsed by ``vobject`` — which decodes
quoted-printable in the card's ``CHARSET`` and handles 2.1 (Android, Outlook), 3.0
(iOS: ``item1.TEL`` with an ``X-ABLabel``) and 4.0. A card that cannot be parsed is a
row with ``error`` set; the other cards still read.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from kehu.imports.readers import Cell, FileRejected, Row, Table
from kehu.imports.readers.text import CHINESE, detect_encoding

# What each card gives: 手机 its first mobile number (typed CELL, labelled mobile/手机/
# iPhone, or else the first number that looks like a Chinese mobile), 电话 the other
# numbers joined by "; " (faxes go to 备注), 邮箱 the first e-mail (others to 备注),
# 公司 and 部门 from ORG, 地址/省份/城市 from the preferred ADR, 生日 a date when BDAY
# has a year.
HEADERS = [
    "姓名",
    "手机",
    "电话",
    "邮箱",
    "公司",
    "部门",
    "职务",
    "地址",
    "省份",
    "城市",
    "生日",
    "网址",
    "备注",
]
SKIPPED = {"PHOTO", "LOGO", "SOUND", "KEY"}
MOBILE_LABELS = ("cell", "mobile", "iphone", "手机", "移动")
_CN_MOBILE = re.compile(r"(?:\+?86)?1[3-9]\d{9}")
_CJK = re.compile(r"[\u3400-\u9fff]")


def _property_name(line: str) -> str:
    """``item1.TEL;type=CELL:…`` → ``TEL``."""
    head = re.split(r"[;:]", line, maxsplit=1)[0]
    return head.rsplit(".", 1)[-1].strip().upper()


def _is_quoted_printable(line: str) -> bool:
    head = line.split(":", 1)[0].upper()
    return "QUOTED-PRINTABLE" in head


def logical_lines(lines: Iterator[str]) -> Iterator[tuple[int, str]]:
    """(number of its first physical line, unfolded line)."""
    current: str | None = None
    start = 0
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if current is not None and line[:1] in (" ", "\t"):
            current += line[1:]
            continue
        if current is not None and current.endswith("=") and _is_quoted_printable(current):
            current = current[:-1] + line
            continue
        if current is not None:
            yield start, current
        current, start = line, number
    if current is not None:
        yield start, current


def cards(lines: Iterator[str]) -> Iterator[tuple[int, list[str] | None]]:
    """(line of its BEGIN, the card's lines), or ``None`` for a card not closed."""
    card: list[str] | None = None
    start = 0
    for number, line in logical_lines(lines):
        stripped = line.strip()
        upper = stripped.upper()
        if upper == "BEGIN:VCARD":
            if card is not None:
                yield start, None
            card, start = [stripped], number
        elif card is None:
            continue
        elif upper == "END:VCARD":
            card.append(stripped)
            yield start, card
            card = None
        elif stripped and _property_name(stripped) not in SKIPPED:
            card.append(stripped)
    if card is not None:
        yield start, None


_CHARSET = re.compile(r";CHARSET=([^;:]*)", re.IGNORECASE)


def _with_charset(line: str, encoding: str) -> str:
    """A quoted-printable line decodes in its ``CHARSET``, GBK and GB2312 as GB18030
    (their superset), an unknown one or none (Outlook writes none) as the file's own
    encoding."""
    head, sep, value = line.partition(":")
    if not sep or "QUOTED-PRINTABLE" not in head.upper():
        return line
    match = _CHARSET.search(head)
    charset = match.group(1).strip().lower() if match else ""
    try:
        codec = codecs.lookup(charset).name if charset else ""
    except LookupError:
        codec = ""
    if codec in CHINESE:
        codec = "gb18030"
    elif not codec:
        codec = encoding
    head = _CHARSET.sub("", head)
    name, _semicolon, params = head.partition(";")
    params = f";{params}" if params else ""
    return f"{name};CHARSET={codec}{params}:{value}"


def open_vcard_table(path: Path) -> Table:
    encoding = detect_encoding(path)
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    total = _count_cards(path)
    if not total:
        raise FileRejected(_("这个文件里没有任何名片（vCard）。"))

    def rows() -> Iterator[Row]:
        with path.open(encoding=encoding, errors="replace", newline="") as handle:
            for number, card in cards(iter(handle)):
                if card is None:
                    yield Row(number, [None] * len(HEADERS), _("名片不完整（缺少 END:VCARD）。"))
                    continue
                try:
                    cells = card_cells([_with_charset(line, encoding) for line in card])
                except Exception:  # vobject raises many kinds for a damaged card
                    yield Row(number, [None] * len(HEADERS), _("名片格式有误，无法读取。"))
                    continue
                yield Row(number, cells)

    return Table(
        headers=list(HEADERS),
        header_row=0,
        rows=rows(),
        total=total,
        sheet=None,
        kind="vcf",
        encoding=encoding,
    )


def _count_cards(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.lstrip()[:11].upper() == b"BEGIN:VCARD")


# --- one card -------------------------------------------------------------------------


def _types(line: Any) -> set[str]:
    types = {str(t).lower() for t in line.params.get("TYPE", [])}
    types |= {str(t).lower() for t in line.singletonparams}
    return {part for t in types for part in t.split(",")}


def _text(value: Any) -> str:
    if isinstance(value, list):
        value = " ".join(str(v) for v in value if v)
    return str(value or "").strip()


def card_cells(lines: list[str]) -> list[Cell]:
    import vobject

    card = vobject.readOne("\r\n".join(lines) + "\r\n", ignoreUnreadable=True)
    children = list(card.getChildren())
    labels = {
        child.group: _text(child.value).lower()
        for child in children
        if child.name == "X-ABLABEL" and child.group
    }

    def first(name: str) -> Any:
        for child in children:
            if child.name == name:
                return child
        return None

    def preferred(name: str) -> Any:
        found = [child for child in children if child.name == name]
        for child in found:
            if "pref" in _types(child):
                return child
        return found[0] if found else None

    name = _text(first("FN").value) if first("FN") else ""
    if not name and first("N") is not None:
        name = _join_name(first("N").value)

    mobiles: list[str] = []
    others: list[str] = []
    faxes: list[str] = []
    for child in children:
        if child.name != "TEL":
            continue
        number = _text(child.value)
        if number.lower().startswith("tel:"):
            number = number[4:]
        if not number:
            continue
        kinds = _types(child) | {labels.get(child.group, "")}
        if any("fax" in kind or "传真" in kind for kind in kinds):
            faxes.append(number)
            continue
        is_mobile = any(label in kind for kind in kinds for label in MOBILE_LABELS)
        (mobiles if is_mobile else others).append(number)
    if not mobiles:
        for number in others:
            if _CN_MOBILE.fullmatch(re.sub(r"[\s\-()]", "", number)):
                mobiles.append(number)
                others.remove(number)
                break
    mobile = mobiles[0] if mobiles else ""
    phones = [*mobiles[1:], *others]

    emails = [_text(child.value) for child in children if child.name == "EMAIL"]
    emails = [email for email in emails if email]
    org = first("ORG")
    org_value = org.value if org is not None else []
    org_parts = [org_value] if isinstance(org_value, str) else [str(p) for p in org_value]
    org_parts = [part.strip() for part in org_parts]
    title = first("TITLE") or first("ROLE")
    adr = preferred("ADR")
    street = city = region = ""
    if adr is not None:
        value = adr.value
        street = " ".join(
            _text(part) for part in (value.street, value.extended, value.box) if _text(part)
        )
        city, region = _text(value.city), _text(value.region)
    url = first("URL")
    note_parts = [_text(child.value) for child in children if child.name == "NOTE"]
    if faxes:
        note_parts.append(_("传真：%(numbers)s") % {"numbers": "; ".join(faxes)})
    if len(emails) > 1:
        note_parts.append(_("其他邮箱：%(emails)s") % {"emails": "; ".join(emails[1:])})
    note = "\n".join(part for part in note_parts if part)

    values: list[Cell] = [
        name,
        mobile,
        "; ".join(phones),
        emails[0] if emails else "",
        org_parts[0] if org_parts else "",
        " ".join(part for part in org_parts[1:] if part),
        _text(title.value) if title else "",
        street,
        region,
        city,
        _birthday(_text(first("BDAY").value)) if first("BDAY") else "",
        _text(url.value) if url else "",
        note,
    ]
    return [value if value != "" else None for value in values]


def _join_name(value: Any) -> str:
    family, given = _text(value.family), _text(value.given)
    if _CJK.search(family + given):
        return f"{family}{given}"
    return " ".join(part for part in (given, family) if part)


def _birthday(text: str) -> Cell:
    """A date when the card has one with a year; the text as written otherwise."""
    digits = text[:10].replace("-", "")
    if re.fullmatch(r"\d{8}", digits):
        try:
            return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
        except ValueError:
            return text
    return text
