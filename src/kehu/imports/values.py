"""One cell of an imported file as a typed value, or :class:`BadValue` with a message
for the error report.

Cells arrive as the readers give them (:data:`kehu.imports.readers.Cell`): text from a
CSV, or numbers and dates from a workbook — where a phone number is often a float and a
date an Excel serial number. These functions take either.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kehu.customers.phones import phone_normalize

# Full-width letters, digits and the signs of numbers, e-mails and URLs → ASCII;
# Chinese punctuation （，。：） is left as written.
_HALF: dict[int, int | None] = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)}  # ０-９
_HALF.update({code: code - 0xFEE0 for code in range(0xFF21, 0xFF3B)})  # Ａ-Ｚ
_HALF.update({code: code - 0xFEE0 for code in range(0xFF41, 0xFF5B)})  # ａ-ｚ
_HALF.update({ord(c): ord(c) - 0xFEE0 for c in "＋－．＠＿／＃＆％＊＝"})
_HALF.update({0x3000: 0x20, 0xFEFF: None, 0x00A0: 0x20, 0x0000: None})
EXCEL_EPOCH = dt.date(1899, 12, 30)
MAX_SERIAL = 2958465  # 9999-12-31


class BadValue(ValueError):
    """A cell that cannot be the value asked for; ``message`` is for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def half_width(text: str) -> str:
    return text.translate(_HALF)


def _is_blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _number_text(value: float | int | Decimal) -> str:
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e17:
            return str(int(value))
        return repr(value)
    return str(value)


def as_text(cell: object, *, limit: int | None = None) -> str:
    """Text, stripped, with full-width letters and digits made half-width; ``""`` for
    an empty cell. Longer than ``limit`` characters → ``BadValue``."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        text = _("是") if cell else _("否")
    elif isinstance(cell, int | float | Decimal):
        text = _number_text(cell)
    elif isinstance(cell, dt.datetime):
        midnight = cell.time() == dt.time()
        text = cell.date().isoformat() if midnight else cell.isoformat(sep=" ", timespec="seconds")
    elif isinstance(cell, dt.date):
        text = cell.isoformat()
    else:
        text = half_width(str(cell)).strip()
    if "\ufffd" in text:
        raise BadValue(_("含有无法识别的字符（文件的文字编码可能有误）。"))
    if limit is not None and len(text) > limit:
        raise BadValue(
            _("内容太长：%(length)s 个字符，最多 %(limit)s 个。")
            % {"length": f"{len(text):,}", "limit": f"{limit:,}"}
        )
    return text


# --- dates --------------------------------------------------------------------------

_DATE_PATTERNS = [
    # 2024-01-05, 2024/1/5, 2024.1.5, 2024年1月5日, with an optional time after it
    re.compile(r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*[日号]?"),
    # 20240105
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
    # 24-1-5, 24/1/5, 24.1.5, 24年1月5日
    re.compile(r"(?P<y>\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*[日号]?"),
]
_TIME_TAIL = re.compile(r"(?:[T\s]*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?")


def _serial_date(number: float) -> dt.date:
    if not 1 <= number <= MAX_SERIAL:
        raise BadValue(_("“%(value)s”不是日期。") % {"value": _number_text(number)})
    days = int(number)
    if days < 61:  # Excel counts a 29 February 1900 that never was
        days += 1
    return EXCEL_EPOCH + dt.timedelta(days=days)


def _two_digit_year(year: int) -> int:
    this_year = dt.date.today().year % 100
    return 2000 + year if year <= this_year else 1900 + year


def as_date(cell: object) -> dt.date:
    """A date from a date cell, an Excel serial number (45296), or text: 2024-01-05,
    2024/1/5, 2024.1.5, 2024年1月5日 (or 5号), 20240105, 24-1-5 (a time after it is
    ignored)."""
    if _is_blank(cell):
        raise BadValue(_("日期不能为空。"))
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    if isinstance(cell, bool):
        raise BadValue(_("“%(value)s”不是日期。") % {"value": cell})
    if isinstance(cell, int | float | Decimal):
        number = float(cell)
        if number.is_integer() and 19000101 <= number <= 21001231:
            return as_date(str(int(number)))
        return _serial_date(number)
    text = half_width(str(cell)).strip()
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text) or _match_with_time(pattern, text)
        if match:
            year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
            if len(match["y"]) == 2:
                year = _two_digit_year(year)
            try:
                value = dt.date(year, month, day)
            except ValueError:
                break
            if not 1900 <= value.year <= 2100:
                break
            return value
    if re.fullmatch(r"\d{5}(\.\d+)?", text):  # a serial number that became text
        return _serial_date(float(text))
    raise BadValue(
        _("“%(value)s”不是可识别的日期（例如 2024-01-05、2024/1/5 或 2024年1月5日）。")
        % {"value": text[:40]}
    )


_CLOCK = re.compile(r"[T\s](\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")


def as_moment(cell: object) -> dt.datetime:
    """A moment in the business time zone: a date-time cell, or a date as
    :func:`as_date` reads it with the time after it (“2024-01-05 14:30”), or midnight."""
    from django.utils import timezone

    if isinstance(cell, dt.datetime):
        moment = cell
    else:
        moment = dt.datetime.combine(as_date(cell), dt.time())
        if isinstance(cell, str):
            clock = _CLOCK.search(half_width(cell).strip())
            if clock and int(clock[1]) < 24 and int(clock[2]) < 60:
                moment = moment.replace(
                    hour=int(clock[1]), minute=int(clock[2]), second=int(clock[3] or 0) % 60
                )
    if moment.tzinfo is None:
        moment = timezone.make_aware(moment)
    return moment


def _match_with_time(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    match = pattern.match(text)
    if match and _TIME_TAIL.fullmatch(text[match.end() :]):
        return match
    return None


# --- phones -------------------------------------------------------------------------

_PHONE_JUNK = re.compile(r"[\s\-()（）.·]")
_PHONE_SPLIT = re.compile(r"\s*[/;,；，、|]\s*|\s{2,}")
# “（微信同号）”, “(office)”: a note in brackets that holds more than digits; “手机：”,
# “Tel:” before a number.
_PHONE_NOTE = re.compile(r"[（(][^()（）]*[^\d\s()（）+\-][^()（）]*[)）]")
_PHONE_LABEL = re.compile(r"(?:^|(?<=[/;,；，、|\s]))[^\d+/;,；，、|\s]{1,8}?[:：]\s*")
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d+)?[eE][+]?\d+")


def _phone_text(cell: object) -> str:
    if isinstance(cell, bool):
        raise BadValue(_("“%(phone)s”不是有效的电话号码。") % {"phone": cell})
    if isinstance(cell, float):
        if not cell.is_integer():
            raise BadValue(_("“%(phone)s”不是有效的电话号码。") % {"phone": repr(cell)})
        return str(int(cell))
    if isinstance(cell, int | Decimal):
        return _number_text(cell)
    text = half_width(str(cell)).strip()
    text = _PHONE_LABEL.sub("", _PHONE_NOTE.sub("", text)).strip()
    if _SCIENTIFIC.fullmatch(text):
        number = Decimal(text)
        mantissa = text.lower().split("e")[0].lstrip("+-").replace(".", "").lstrip("0")
        if len(mantissa) < len(str(int(number))):  # digits Excel did not keep
            raise BadValue(
                _(
                    "电话号码被 Excel 写成了科学计数法（%(value)s），后几位已经丢失；"
                    "请把这一列设为“文本”格式后重新导出。"
                )
                % {"value": text}
            )
        return str(int(number))
    if re.fullmatch(r"\d+\.0+", text):  # 13800138000.0 from a float turned to text
        text = text.split(".")[0]
    return text


def as_phone(cell: object) -> str:
    """One phone number in E.164 (+8613800138000), as the customer forms store it; a
    note in brackets (（微信同号）) or a label (手机：) around it is dropped."""
    if _is_blank(cell):
        raise BadValue(_("电话号码不能为空。"))
    text = _phone_text(cell)
    if _PHONE_SPLIT.search(text):
        raise BadValue(
            _("一个单元格里有多个电话号码（%(value)s）：每格只填一个。") % {"value": text[:40]}
        )
    compact = _PHONE_JUNK.sub("", text)
    try:
        return phone_normalize(compact or text)
    except ValidationError as error:
        raise BadValue(_("“%(phone)s”不是有效的电话号码。") % {"phone": text[:40]}) from error


def as_phones(cell: object) -> list[str]:
    """Several numbers in one cell (“138… / 139…”, “138…; 010-…”), each in E.164;
    ``[]`` for an empty cell."""
    if _is_blank(cell):
        return []
    text = _phone_text(cell)
    return [as_phone(part) for part in _PHONE_SPLIT.split(text) if part.strip()]


# --- numbers ------------------------------------------------------------------------

_MONEY_JUNK = re.compile(r"(?i)[¥￥$\s,，]|RMB|CNY|元|人民币")


def as_decimal(cell: object) -> Decimal:
    """A number: ¥1,234.50, 1234.5元, (1,234.50) for a negative, 1.2万, full-width
    digits, or a number cell."""
    if _is_blank(cell):
        raise BadValue(_("数值不能为空。"))
    if isinstance(cell, bool):
        raise BadValue(_("“%(value)s”不是数字。") % {"value": cell})
    if isinstance(cell, Decimal):
        value = cell
    elif isinstance(cell, int):
        value = Decimal(cell)
    elif isinstance(cell, float):
        if not math.isfinite(cell):
            raise BadValue(_("“%(value)s”不是数字。") % {"value": cell})
        value = Decimal(repr(cell))
    else:
        original = str(cell).strip()
        text = _MONEY_JUNK.sub("", half_width(original))
        negative = text.startswith("(") and text.endswith(")")
        if negative:
            text = text[1:-1]
        factor = 1
        if text.endswith("万"):
            text, factor = text[:-1], 10_000
        elif text.endswith("亿"):
            text, factor = text[:-1], 100_000_000
        try:
            value = Decimal(text) * factor
        except InvalidOperation:
            raise BadValue(_("“%(value)s”不是数字。") % {"value": original[:40]}) from None
        if negative:
            value = -value
    if not value.is_finite():
        raise BadValue(_("“%(value)s”不是数字。") % {"value": cell})
    return value


def as_int(cell: object) -> int:
    value = as_decimal(cell)
    if value != value.to_integral_value():
        raise BadValue(_("“%(value)s”不是整数。") % {"value": as_text(cell)[:40]})
    return int(value)


_TRUE = {"是", "y", "yes", "true", "t", "1", "√", "✓", "✔", "对", "有", "真", "on", "x"}
_FALSE = {"否", "n", "no", "false", "f", "0", "×", "✗", "✘", "错", "无", "没有", "假", "off"}


def as_bool(cell: object) -> bool:
    """是/否, Y/N, yes/no, true/false, 1/0, √/×."""
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, int | float | Decimal) and cell in (0, 1):
        return bool(cell)
    text = half_width(str(cell if cell is not None else "")).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise BadValue(_("“%(value)s”不是“是”或“否”。") % {"value": text[:40]})
