"""Orders as pushed, checked one at a time (step 1 of ``kehu.orders.ingest``).

What an order and its lines look like to the service (``OrderInput``, ``LineInput``,
the ``OrderData`` / ``LineData`` dataclasses), the results and errors it reports, and
the cleaning of each item: amounts, dates, the choice of references, and a hash of
the content so that the same push twice is recognised.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.dates import business_date_ok, range_message
from kehu.core.errors import ConflictError, KehuError, NotAllowedError
from kehu.orders.models import (
    GIVEN_STATUSES,
    Channel,
    OrderStatus,
    PaymentStatus,
)

MAX_BATCH = 1000
MAX_LINES = 200
MONEY_LIMIT = Decimal(10) ** 12  # DecimalField(max_digits=14, decimal_places=2)
QUANTITY_LIMIT = Decimal(10) ** 9  # max_digits=12, decimal_places=3
ZERO = Decimal("0.00")
CENT, MILLI = Decimal("0.01"), Decimal("0.001")
IN_CHUNK = 2000
CHANNELS = frozenset(Channel.values)
STATUSES = frozenset(OrderStatus.values)
PAYMENT_STATUSES = frozenset(PaymentStatus.values)


class OrderNotFound(KehuError):
    """The customer (or order) named is not there, or not the actor's to see."""

    code = "not_found"
    status = 404


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class LineInput(Protocol):
    """A line as the service reads it: ``LineData``, or the API's validated request
    body as it is (a batch of 1,000 orders is not copied into dataclasses first)."""

    @property
    def quantity(self) -> Decimal: ...
    @property
    def product_id(self) -> int | None: ...
    @property
    def sku(self) -> str | None: ...
    @property
    def unit_price(self) -> Decimal | None: ...
    @property
    def discount(self) -> Decimal: ...
    @property
    def unit_cost(self) -> Decimal | None: ...


class OrderInput(Protocol):
    """An order as the service reads it: ``OrderData``, or the API's request body."""

    @property
    def source(self) -> str: ...
    @property
    def external_id(self) -> str: ...
    @property
    def ordered_at(self) -> dt.datetime: ...
    @property
    def customer_id(self) -> int | None: ...
    @property
    def customer_external_id(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def payment_status(self) -> str | None: ...
    @property
    def currency(self) -> str | None: ...
    @property
    def total(self) -> Decimal | None: ...
    @property
    def cost(self) -> Decimal | None: ...
    @property
    def lines(self) -> Sequence[LineInput]: ...


@dataclass(frozen=True, slots=True)
class LineData:
    """One line as pushed: a product by Kehu id or by SKU, quantity, unit price
    (the product's price when omitted), discount, and optionally the unit cost
    (the product's current unit cost when omitted)."""

    quantity: Decimal
    product_id: int | None = None
    sku: str | None = None
    unit_price: Decimal | None = None
    discount: Decimal = ZERO
    unit_cost: Decimal | None = None


@dataclass(frozen=True, slots=True)
class OrderData:
    """An order as pushed. The customer by Kehu id, or by the customer's
    ``external_id`` in the same ``source``. With lines, the total is their sum (a
    given ``total`` must match it); without lines, ``total`` is required and ``cost``
    may be given."""

    source: str
    external_id: str
    ordered_at: dt.datetime
    customer_id: int | None = None
    customer_external_id: str | None = None
    status: str = OrderStatus.PAID
    channel: str = Channel.OTHER
    payment_status: str | None = None  # PaymentStatus; None: paid
    currency: str | None = None
    total: Decimal | None = None
    cost: Decimal | None = None
    lines: Sequence[LineData] = ()


@dataclass(frozen=True)
class OrderItemError:
    """Why one order was refused: ``code`` as in the API (``invalid``, ``not_found``,
    ``forbidden``, ``conflict``), a message, and field errors for ``invalid``."""

    code: str
    message: str
    errors: dict[str, list[str]] = field(default_factory=dict)

    def exception(self) -> Exception:
        if self.code == "invalid":
            return ValidationError(self.errors or self.message)
        if self.code == "not_found":
            return OrderNotFound(self.message)
        if self.code == "forbidden":
            return NotAllowedError(self.message)
        return ConflictError(self.message)


def invalid(errors: dict[str, list[str]]) -> OrderItemError:
    return OrderItemError("invalid", _("输入有误，请检查后重试。"), errors)


@dataclass(frozen=True, slots=True)
class IngestResult:
    index: int
    order_id: int | None = None
    outcome: Outcome | None = None
    error: OrderItemError | None = None


# --- step 1: each item on its own ------------------------------------------------------


def _add(errors: dict[str, list[str]], key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


def _number(
    errors: dict[str, list[str]],
    key: str,
    value: Any,
    *,
    step: Decimal = CENT,
    limit: Decimal = MONEY_LIMIT,
    positive: bool = False,
) -> Decimal | None:
    """A non-negative Decimal with at most the places of ``step`` (``None`` stays)."""
    if value is None:
        return None
    if (
        type(value) is Decimal
        and value.is_finite()
        and (value > ZERO if positive else value >= ZERO)
        and value < limit
    ):
        # The usual case in one go (a batch has thousands of amounts); the checks
        # below say what is wrong otherwise.
        rounded = value.quantize(step)
        if rounded == value:
            return rounded
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        _add(errors, key, _("不是有效的数字。"))
        return None
    if not number.is_finite():
        _add(errors, key, _("不是有效的数字。"))
    elif abs(number) >= limit:
        _add(errors, key, _("数值过大。"))
    elif positive and number <= 0:
        _add(errors, key, _("数量必须大于 0。"))
    elif number < 0:
        _add(errors, key, _("金额不能为负数。"))
    elif (rounded := number.quantize(step)) != number:
        _add(errors, key, _("数量最多三位小数。") if step == MILLI else _("金额最多两位小数。"))
    else:
        return rounded
    return None


def _text(errors: dict[str, list[str]], key: str, value: str | None, limit: int) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        _add(errors, key, _("最多 %(n)d 个字符。") % {"n": limit})
    elif "\x00" in text:
        _add(errors, key, _("不能包含 NUL 字符。"))
    return text


def _moment(errors: dict[str, list[str]], key: str, value: Any) -> dt.datetime | None:
    if not isinstance(value, dt.datetime):
        _add(errors, key, _("不是有效的 ISO 8601 日期时间，例如 2025-03-01T10:30:00+08:00。"))
        return None
    if not business_date_ok(value):
        _add(errors, key, range_message())
        return None
    if value.tzinfo is None:
        value = timezone.make_aware(value)  # in KEHU_TIME_ZONE
    return value.astimezone(dt.UTC)


@dataclass(slots=True)
class _Line:
    product_ref: tuple[str, Any]  # ("id", 5) or ("sku", "A-1")
    quantity: Decimal
    unit_price: Decimal | None
    discount: Decimal
    unit_cost: Decimal | None


@dataclass(slots=True)
class _Clean:
    index: int
    key: tuple[str, str]
    customer_ref: tuple[str, Any]  # ("id", 5) or ("external_id", "C-9")
    ordered_at: dt.datetime
    status: str
    channel: str
    payment_status: str
    currency: str
    total: Decimal | None
    cost: Decimal | None
    lines: list[_Line]
    content_hash: str = ""


def _digest(clean: _Clean) -> str:
    """The order as pushed, after normalising numbers and times: equal pushes hash
    equal ("10" and "10.00", "+08:00" and "Z" the same moment). Fields are joined with
    NUL, which no text may contain (``_text``), and every line has the same number of
    fields, so different orders never read the same."""
    parts = [
        *clean.key,
        *map(str, clean.customer_ref),
        clean.ordered_at.isoformat(),
        clean.status,
        clean.channel,
        clean.currency,
        _or_blank(clean.total),
        _or_blank(clean.cost),
    ]
    if clean.payment_status != PaymentStatus.PAID:
        # Only when not the default, so the orders pushed before it hash as they did.
        parts.append("payment:" + clean.payment_status)
    for line in clean.lines:
        parts += (
            *map(str, line.product_ref),
            str(line.quantity),
            _or_blank(line.unit_price),
            str(line.discount),
            _or_blank(line.unit_cost),
        )
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def _or_blank(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def _clean(index: int, data: OrderInput, currency_default: str) -> _Clean | OrderItemError:
    errors: dict[str, list[str]] = {}
    source = _text(errors, "source", data.source, 32)
    external_id = _text(errors, "external_id", data.external_id, 64)
    if not external_id and "external_id" not in errors:
        _add(errors, "external_id", _("必须填写外部编号。"))
    customer_ref: tuple[str, Any] = ("id", data.customer_id)
    customer_external_id = _text(errors, "customer_external_id", data.customer_external_id, 64)
    if (data.customer_id is None) == (not customer_external_id):
        _add(errors, "customer_id", _("请填写 customer_id 或 customer_external_id（二选一）。"))
    elif customer_external_id:
        customer_ref = ("external_id", customer_external_id)
    ordered_at = _moment(errors, "ordered_at", data.ordered_at)
    if data.status not in GIVEN_STATUSES:
        _add(
            errors,
            "status",
            _("状态只能是 paid 或 cancelled：退款和部分退款由退款记录决定，请另行登记退款。")
            if data.status in STATUSES
            else _("未知的状态。"),
        )
    if data.channel not in CHANNELS:
        _add(errors, "channel", _("未知的渠道。"))
    payment_status = str(data.payment_status or PaymentStatus.PAID)
    if payment_status not in PAYMENT_STATUSES:
        _add(errors, "payment_status", _("未知的收款状态。"))
    currency = (data.currency or currency_default).strip()
    if not (len(currency) == 3 and currency.isascii() and currency.isupper()):
        _add(errors, "currency", _("币种应为三个大写字母，例如 CNY。"))
    total = _number(errors, "total", data.total)
    cost = _number(errors, "cost", data.cost)
    lines: list[_Line] = []
    if len(data.lines) > MAX_LINES:
        _add(errors, "lines", _("每个订单最多 %(n)d 行明细。") % {"n": MAX_LINES})
    else:
        for number, line in enumerate(data.lines):
            cleaned = _clean_line(errors, f"lines.{number}", line)
            if cleaned is not None:
                lines.append(cleaned)
    if not data.lines and data.total is None:
        _add(errors, "total", _("没有明细时必须填写订单金额 total。"))
    if data.lines and data.cost is not None:
        _add(errors, "cost", _("有明细时成本按明细计算，请在明细中填写 unit_cost。"))
    if errors:
        return invalid(errors)
    assert ordered_at is not None
    clean = _Clean(
        index,
        (source, external_id),
        customer_ref,
        ordered_at,
        str(data.status),  # plain text, not the enum member: cheaper to hash and store
        str(data.channel),
        payment_status,
        currency,
        total,
        cost,
        lines,
    )
    clean.content_hash = _digest(clean)
    return clean


def _clean_line(errors: dict[str, list[str]], prefix: str, line: LineInput) -> _Line | None:
    before = len(errors)
    ref: tuple[str, Any] = ("id", line.product_id)
    sku = line.sku
    if sku is not None:
        sku = _text(errors, f"{prefix}.sku", sku, 64)
    if (line.product_id is None) == (not sku):
        _add(errors, f"{prefix}.product_id", _("请填写 product_id 或 sku（二选一）。"))
    elif sku:
        ref = ("sku", sku)
    quantity = _number(
        errors,
        f"{prefix}.quantity",
        line.quantity,
        step=MILLI,
        limit=QUANTITY_LIMIT,
        positive=True,
    )
    unit_price = _number(errors, f"{prefix}.unit_price", line.unit_price)
    discount = _number(errors, f"{prefix}.discount", line.discount) or ZERO
    unit_cost = _number(errors, f"{prefix}.unit_cost", line.unit_cost)
    if len(errors) > before or quantity is None:
        return None
    return _Line(ref, quantity, unit_price, discount, unit_cost)
