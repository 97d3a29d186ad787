"""Every write to products, orders and refunds.

Orders arrive one at a time (``order_upsert``) or in batches (``orders_ingest``);
both go through the same steps, so a single push and a batch of one behave alike:

1. each item is checked on its own (amounts, dates, the choice of references) and
   its content hashed;
2. what the batch names is looked up with a few ``IN`` queries: orders already
   pushed under the same ``(source, external_id)``, customers by id or by their own
   ``(source, external_id)`` (only those the actor may see), products by id or SKU;
3. each item becomes "unchanged" (same hash: nothing is written), "new", "changed"
   or an error (unknown product, customer not visible, ...);
4. new orders and their lines are inserted with one ``executemany`` per table;
   changed ones are updated one by one, each in a savepoint, keeping the previous
   content as an ``OrderRevision``.

Bad items are reported by index and never written; good ones are kept. The whole
batch is one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.dates import business_date_ok, range_message
from kehu.core.errors import ConflictError, KehuError, NotAllowedError
from kehu.core.events import CustomerEvent, emit, emit_many
from kehu.core.money import money_display, money_text
from kehu.core.sql import (
    chunks,
    datetime_adapter,
    rows_insert,
    select_rows,
    values_in,
    values_insert,
    values_insert_returning,
    where_sql,
)
from kehu.customers.access import can_write, visibility_q
from kehu.customers.models import Customer
from kehu.orders.access import can_manage_products, can_record_orders, can_write_order
from kehu.orders.models import (
    GIVEN_STATUSES,
    Channel,
    Order,
    OrderLine,
    OrderRevision,
    OrderStatus,
    Product,
    Refund,
    RefundKind,
    cents,
    default_currency,
    effective_status,
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

T = TypeVar("T")


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


# --- step 2: what the batch names, in a few queries ---------------------------------------


@dataclass(slots=True)
class _Existing:
    pk: int
    customer_id: int
    content_hash: str


@dataclass(slots=True)
class _Buyer:
    """What the batch needs of a customer the actor may see."""

    pk: int
    writable: bool


@dataclass(slots=True)
class _ProductFacts:
    pk: int
    price: Decimal
    unit_cost: Decimal | None


@dataclass
class _Lookups:
    existing: dict[tuple[str, str], _Existing]
    customers: dict[int, _Buyer]  # alive and visible to the actor
    customers_by_external_id: dict[tuple[str, str], _Buyer]
    products: dict[tuple[str, Any], _ProductFacts]


def _by_source(keys: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, set[str]] = {}
    for source, external_id in keys:
        grouped.setdefault(source, set()).add(external_id)
    return {source: sorted(ids) for source, ids in grouped.items()}


def _money_value(value: Any) -> Decimal | None:
    """A money column as read by a bare cursor: PostgreSQL gives a Decimal, SQLite a
    float or an integer (its shortest text is the decimal that was stored)."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(CENT)


def _product_facts(pk: int, price: Any, unit_cost: Any) -> _ProductFacts:
    money = _money_value(price)
    assert money is not None  # NOT NULL
    return _ProductFacts(pk, money, _money_value(unit_cost))


# The partial unique indexes' conditions, word for word: SQLite uses a partial index
# only for a query that states its WHERE term as written ("external_id <> ''" is a
# scan of every order).
_KEYED = "NOT (external_id = '')"
_WITH_SKU = "NOT (sku = '')"


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _lookups(actor: User, cleans: Sequence[_Clean]) -> _Lookups:
    """Read with bare cursors: hundreds of rows per batch, where building the queries
    and iterating through the ORM cost more than running them. The customers the
    actor may see: the ORM's filter (``visibility_q``), compiled once."""
    existing: dict[tuple[str, str], _Existing] = {}
    for source, external_ids in _by_source(c.key for c in cleans).items():
        for chunk in chunks(external_ids, IN_CHUNK):
            keys = values_in(chunk, "text")
            rows = select_rows(
                f"SELECT id, external_id, customer_id, content_hash FROM {_table(Order)} "
                f"WHERE source = %s AND external_id IN ({keys.sql}) AND {_KEYED}",
                [source, *keys.params],
            )
            for pk, external_id, customer_id, content_hash in rows:
                existing[(source, external_id)] = _Existing(pk, customer_id, content_hash)

    # Who may write to a customer depends on its owner and team only: ask once per pair.
    writable: dict[tuple[int | None, int | None], bool] = {}

    def buyer(pk: int, owner_id: int | None, team_id: int | None) -> _Buyer:
        allowed = writable.get((owner_id, team_id))
        if allowed is None:
            probe = Customer(owner_id=owner_id, team_id=team_id)
            allowed = writable[(owner_id, team_id)] = can_write(actor, probe)
        return _Buyer(pk, allowed)

    # The actor's visibility (a filter over the customer's own columns), compiled once
    # for both lookups.
    visible = where_sql(Customer.objects.alive().filter(visibility_q(actor)))
    customers: dict[int, _Buyer] = {}
    by_external_id: dict[tuple[str, str], _Buyer] = {}
    if visible is None:
        return _Lookups(existing, customers, by_external_id, _products(cleans))
    where, where_params = visible
    table = _table(Customer)
    customer_ids = {c.customer_ref[1] for c in cleans if c.customer_ref[0] == "id"}
    customer_ids |= {e.customer_id for e in existing.values()}
    for id_chunk in chunks(sorted(customer_ids), IN_CHUNK):
        ids = values_in(id_chunk, "int")
        for pk, owner_id, team_id in select_rows(
            f"SELECT id, owner_id, team_id FROM {table} WHERE id IN ({ids.sql}) AND ({where})",
            [*ids.params, *where_params],
        ):
            customers[pk] = buyer(pk, owner_id, team_id)
    wanted = {(c.key[0], c.customer_ref[1]) for c in cleans if c.customer_ref[0] != "id"}
    for source, external_ids in _by_source(wanted).items():
        for chunk in chunks(external_ids, IN_CHUNK):
            keys = values_in(chunk, "text")
            for pk, owner_id, team_id, external_id in select_rows(
                f"SELECT id, owner_id, team_id, external_id FROM {table} WHERE source = %s "
                f"AND external_id IN ({keys.sql}) AND {_KEYED} AND ({where})",
                [source, *keys.params, *where_params],
            ):
                customers[pk] = by_external_id[(source, external_id)] = buyer(pk, owner_id, team_id)
    return _Lookups(existing, customers, by_external_id, _products(cleans))


def _products(cleans: Sequence[_Clean]) -> dict[tuple[str, Any], _ProductFacts]:
    """The products the lines name, by ``("id", pk)`` and ``("sku", sku)``."""
    products: dict[tuple[str, Any], _ProductFacts] = {}
    facts_by_pk: dict[int, _ProductFacts] = {}

    def product(pk: int, price: Any, unit_cost: Any) -> _ProductFacts:
        # A product named by id in one line and by SKU in another is read twice.
        facts = facts_by_pk.get(pk)
        if facts is None:
            facts = facts_by_pk[pk] = _product_facts(pk, price, unit_cost)
        return facts

    refs = {line.product_ref for c in cleans for line in c.lines}
    ids = sorted(value for kind, value in refs if kind == "id")
    skus = sorted(value for kind, value in refs if kind == "sku")
    facts = f"SELECT id, sku, price, unit_cost FROM {_table(Product)} WHERE "
    for id_chunk in chunks(ids, IN_CHUNK):
        wanted_ids = values_in(id_chunk, "int")
        for pk, _sku, price, unit_cost in select_rows(
            f"{facts} id IN ({wanted_ids.sql})", wanted_ids.params
        ):
            products[("id", pk)] = product(pk, price, unit_cost)
    for sku_chunk in chunks(skus, IN_CHUNK):
        wanted_skus = values_in(sku_chunk, "text")
        for pk, sku, price, unit_cost in select_rows(
            f"{facts} sku IN ({wanted_skus.sql}) AND {_WITH_SKU}", wanted_skus.params
        ):
            products[("sku", sku)] = product(pk, price, unit_cost)
    return products


# --- step 3: each item against what exists -------------------------------------------------


@dataclass(slots=True)
class _Plan:
    clean: _Clean
    customer: _Buyer
    lines: list[tuple[Any, ...]]  # LINE_COLUMNS values but the order_id (not known yet)
    total: Decimal
    cost: Decimal | None
    existing: _Existing | None


def _customer_of(clean: _Clean, found: _Lookups) -> _Buyer | OrderItemError:
    kind, value = clean.customer_ref
    if kind == "id":
        customer = found.customers.get(value)
        if customer is None:
            return OrderItemError("not_found", _("客户不存在，或您无权查看。"))
    else:
        customer = found.customers_by_external_id.get((clean.key[0], value))
        if customer is None:
            return OrderItemError(
                "not_found",
                _("在 %(source)s 中找不到外部编号为 %(id)s 的客户，或您无权查看。")
                % {"source": clean.key[0] or "—", "id": value},
            )
    if not customer.writable:
        return OrderItemError("forbidden", _("您无权为该客户记录订单。"))
    return customer


def _plan(clean: _Clean, found: _Lookups) -> _Plan | IngestResult:
    existing = found.existing.get(clean.key)
    if existing is not None:
        holder = found.customers.get(existing.customer_id)
        if holder is None:
            return IngestResult(
                clean.index,
                error=OrderItemError(
                    "forbidden", _("已有相同来源和外部编号的订单，您无权查看或修改它。")
                ),
            )
        if existing.content_hash == clean.content_hash:
            return IngestResult(clean.index, existing.pk, Outcome.UNCHANGED)
        if not holder.writable:
            return IngestResult(
                clean.index,
                error=OrderItemError(
                    "forbidden", _("已有相同来源和外部编号的订单，您无权修改它。")
                ),
            )
    customer = _customer_of(clean, found)
    if isinstance(customer, OrderItemError):
        return IngestResult(clean.index, error=customer)
    errors: dict[str, list[str]] = {}
    lines: list[tuple[Any, ...]] = []
    cost: Decimal | None = ZERO
    total = ZERO
    for position, line in enumerate(clean.lines):
        product = found.products.get(line.product_ref)
        if product is None:
            field_name = "product_id" if line.product_ref[0] == "id" else "sku"
            _add(errors, f"lines.{position}.{field_name}", _("没有这个产品。"))
            continue
        unit_price = product.price if line.unit_price is None else line.unit_price
        gross = cents(line.quantity * unit_price)
        if line.discount > gross:
            _add(
                errors,
                f"lines.{position}.discount",
                _("折扣不能超过该行金额 %(gross)s。")
                % {"gross": money_display(gross, clean.currency)},
            )
            continue
        unit_cost = product.unit_cost if line.unit_cost is None else line.unit_cost
        amount = gross - line.discount
        total += amount
        if cost is not None:
            cost = None if unit_cost is None else cost + cents(line.quantity * unit_cost)
        lines.append(
            (position, product.pk, line.quantity, unit_price, line.discount, unit_cost, amount)
        )
    if not clean.lines:
        assert clean.total is not None
        total, cost = clean.total, clean.cost
    elif clean.total is not None and clean.total != total and not errors:
        message = _("与明细合计 %(sum)s 不符。") % {"sum": money_display(total, clean.currency)}
        _add(errors, "total", message)
    if total >= MONEY_LIMIT or (cost is not None and cost >= MONEY_LIMIT):
        _add(errors, "total", _("数值过大。"))
    if errors:
        return IngestResult(clean.index, error=invalid(errors))
    return _Plan(clean, customer, lines, total, cost, existing)


# --- step 4: writing -----------------------------------------------------------------------


# The columns a new order and its lines are written with, in this order (every column
# of the tables but the id): the rows are built as tuples, not through the generic
# ``rows_insert``, for the thousand rows of a batch.
ORDER_COLUMNS = (
    "created_at",
    "updated_at",
    "customer_id",
    "source",
    "external_id",
    "ordered_at",
    "channel",
    "status",
    "currency",
    "total",
    "cost",
    "refunded_total",
    "content_hash",
    "version",
    "created_by_id",
    "updated_by_id",
)
LINE_FIELDS = ("product_id", "quantity", "unit_price", "discount", "unit_cost", "amount")
LINE_COLUMNS = ("order_id", "position", *LINE_FIELDS)


def _write_new(actor: User, plans: Sequence[_Plan]) -> dict[int, int]:
    """Insert orders and their lines; ``{index: order id}`` (the ids come back from
    the insert itself). Raises ``IntegrityError`` when another request inserted one of
    the keys meanwhile."""
    adapt = datetime_adapter()
    now = adapt(timezone.now())
    rows: list[tuple[Any, ...]] = []
    for plan in plans:
        clean = plan.clean
        status = effective_status(clean.status, plan.total, ZERO)
        rows.append(
            (
                now,
                now,
                plan.customer.pk,
                *clean.key,
                adapt(clean.ordered_at),
                clean.channel,
                str(status),
                clean.currency,
                plan.total,
                plan.cost,
                ZERO,
                clean.content_hash,
                1,
                actor.pk,
                actor.pk,
            )
        )
    written = values_insert_returning(Order, ORDER_COLUMNS, rows, ("source", "external_id", "id"))
    ids = {(source, external_id): pk for source, external_id, pk in written}
    lines: list[tuple[Any, ...]] = []
    for plan in plans:
        order_id = ids[plan.clean.key]
        lines += [(order_id, *line) for line in plan.lines]
    values_insert(OrderLine, LINE_COLUMNS, lines)
    return {plan.clean.index: ids[plan.clean.key] for plan in plans}


def _create(actor: User, plans: list[_Plan]) -> dict[int, int | OrderItemError]:
    """Insert the new orders together, or, when another request inserted one of them
    meanwhile, one by one (that one is reported as a conflict)."""
    done: dict[int, int | OrderItemError] = {}
    try:
        with transaction.atomic():
            done.update(_write_new(actor, plans))
        return done
    except IntegrityError:
        pass
    for plan in plans:
        try:
            with transaction.atomic():
                done.update(_write_new(actor, [plan]))
        except IntegrityError:
            done[plan.clean.index] = OrderItemError(
                "conflict", _("另一个请求同时写入了相同外部编号的订单，请重试。")
            )
    return done


def order_content(order: Order, lines: Iterable[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The order's recorded content, as kept in its revision history. ``lines`` are
    values by attribute name (default: the order's lines as stored)."""
    if lines is None:
        lines = order.lines.order_by("position").values(*LINE_FIELDS)
    return {
        "customer_id": order.customer_id,
        "ordered_at": order.ordered_at.astimezone(dt.UTC).isoformat(),
        "channel": order.channel,
        "status": OrderStatus.CANCELLED if order.is_cancelled else OrderStatus.PAID,
        "currency": order.currency,
        "total": money_text(order.total),
        "cost": money_text(order.cost),
        "lines": [
            {
                "product_id": line["product_id"],
                "quantity": f"{line['quantity']:.3f}",
                "unit_price": money_text(line["unit_price"]),
                "discount": money_text(line["discount"]),
                "unit_cost": money_text(line["unit_cost"]),
                "amount": money_text(line["amount"]),
            }
            for line in lines
        ],
    }


def _update(actor: User, plan: _Plan) -> tuple[int, Outcome] | OrderItemError:
    """Apply a changed push to an existing order, keeping what it replaced."""
    assert plan.existing is not None
    clean = plan.clean
    order = Order.objects.select_for_update().get(pk=plan.existing.pk)
    before = order_content(order)
    if plan.total < order.refunded_total:
        message = _("订单金额不能小于已退款金额 %(refunded)s。") % {
            "refunded": money_display(order.refunded_total, order.currency)
        }
        return invalid({"total": [message]})
    order.customer_id = plan.customer.pk
    order.ordered_at = clean.ordered_at
    order.channel = clean.channel
    order.currency = clean.currency
    order.total = plan.total
    order.cost = plan.cost
    order.status = effective_status(clean.status, plan.total, order.refunded_total)
    order.content_hash = clean.content_hash
    lines = [dict(zip(LINE_COLUMNS[1:], line, strict=True)) for line in plan.lines]
    after = order_content(order, lines)
    if after == before:
        # Sent differently (say, the customer by external id now) but the same order.
        Order.objects.filter(pk=order.pk).update(content_hash=clean.content_hash)
        return order.pk, Outcome.UNCHANGED
    OrderRevision.objects.create(
        order=order,
        version=order.version,
        content=before,
        changed_fields=sorted(k for k in after if after[k] != before.get(k)),
        changed_at=timezone.now(),
        changed_by=actor,
    )
    order.version += 1
    order.updated_by = actor
    order.save()
    if after["lines"] != before["lines"]:
        OrderLine.objects.filter(order=order).delete()
        rows_insert(OrderLine, [{"order_id": order.pk, **line} for line in lines])
    return order.pk, Outcome.UPDATED


class _Refused(Exception):
    """Leaves a savepoint without keeping its writes."""

    def __init__(self, error: OrderItemError) -> None:
        super().__init__(error.message)
        self.error = error


def _round(cleans: list[_Clean], actor: User, touched: set[int]) -> list[IngestResult]:
    found = _lookups(actor, cleans)
    results: list[IngestResult] = []
    new: list[_Plan] = []
    changed: list[_Plan] = []
    for clean in cleans:
        plan = _plan(clean, found)
        if isinstance(plan, IngestResult):
            results.append(plan)
        elif plan.existing is None:
            new.append(plan)
        else:
            changed.append(plan)
    if new:
        created = _create(actor, new)
        for plan in new:
            outcome = created[plan.clean.index]
            if isinstance(outcome, OrderItemError):
                results.append(IngestResult(plan.clean.index, error=outcome))
            else:
                results.append(IngestResult(plan.clean.index, outcome, Outcome.CREATED))
                touched.add(plan.customer.pk)
    for plan in changed:
        try:
            with transaction.atomic():
                updated = _update(actor, plan)
                if isinstance(updated, OrderItemError):
                    raise _Refused(updated)
        except _Refused as refused:
            results.append(IngestResult(plan.clean.index, error=refused.error))
            continue
        results.append(IngestResult(plan.clean.index, updated[0], updated[1]))
        if updated[1] == Outcome.UPDATED:
            touched.add(plan.customer.pk)
    return results


@transaction.atomic
def orders_ingest(*, actor: User, items: Sequence[OrderInput]) -> list[IngestResult]:
    """Record a batch of pushed orders; one result per item, in order.

    An order already pushed under the same ``(source, external_id)`` is left alone
    when it is the same, and updated (its previous content kept) when it changed.
    The same key twice in one batch applies in order, like two pushes."""
    if not can_record_orders(actor):
        raise PermissionDenied
    if len(items) > MAX_BATCH:
        raise ValidationError({"orders": [_("每批最多 %(n)d 个订单。") % {"n": MAX_BATCH}]})
    currency = default_currency()
    results: dict[int, IngestResult] = {}
    pending: list[_Clean] = []
    touched: set[int] = set()  # customers whose orders changed: one event for the batch
    for index, data in enumerate(items):
        clean = _clean(index, data, currency)
        if isinstance(clean, OrderItemError):
            results[index] = IngestResult(index, error=clean)
        else:
            pending.append(clean)
    while pending:
        # A key seen twice waits for the next round, which sees the first one written.
        this_round: list[_Clean] = []
        later: list[_Clean] = []
        seen: set[tuple[str, str]] = set()
        for clean in pending:
            (later if clean.key in seen else this_round).append(clean)
            seen.add(clean.key)
        for result in _round(this_round, actor, touched):
            results[result.index] = result
        pending = later
    emit_many("order_recorded", touched, actor_id=actor.pk)
    return [results[index] for index in range(len(items))]


def order_upsert(*, actor: User, data: OrderInput) -> tuple[Order, Outcome]:
    """Record one pushed order (see ``orders_ingest``). Raises ``ValidationError``,
    ``OrderNotFound`` (404), ``NotAllowedError`` / ``PermissionDenied`` (403) or
    ``ConflictError``; nothing is written then."""
    [result] = orders_ingest(actor=actor, items=[data])
    if result.error is not None:
        raise result.error.exception()
    assert result.order_id is not None and result.outcome is not None
    return Order.objects.get(pk=result.order_id), result.outcome


# --- refunds ---------------------------------------------------------------------------------


@transaction.atomic
def refund_record(
    *,
    actor: User,
    order: Order,
    amount: Decimal,
    reason: str,
    refunded_at: dt.datetime | None = None,
    kind: str = RefundKind.REFUND,
    external_id: str = "",
) -> tuple[Refund, bool]:
    """Record money paid back on an order: never more than was paid and not yet
    refunded. The order becomes ``partially_refunded`` or ``refunded``. With an
    ``external_id``, the same refund sent again is returned, not recorded twice
    (the flag says whether it was created now)."""
    if not can_write_order(actor, order):
        raise PermissionDenied
    locked = Order.objects.select_for_update().get(pk=order.pk)
    errors: dict[str, list[str]] = {}
    value = _number(errors, "amount", amount)
    text = _text(errors, "reason", reason, 500)
    if not text and "reason" not in errors:
        _add(errors, "reason", _("请填写退款原因。"))
    reference = _text(errors, "external_id", external_id, 64)
    if kind not in RefundKind.values:
        _add(errors, "kind", _("未知的退款类型。"))
    when = _moment(errors, "refunded_at", refunded_at or timezone.now())
    if errors:
        raise ValidationError(errors)
    assert value is not None and when is not None
    if reference:
        earlier = Refund.objects.filter(order=locked, external_id=reference).first()
        if earlier is not None:
            if earlier.amount == value:
                return earlier, False
            raise ValidationError(
                {
                    "external_id": [
                        _("该外部编号的退款已登记，金额为 %(amount)s。")
                        % {"amount": money_display(earlier.amount, locked.currency)}
                    ]
                }
            )
    if value <= 0:
        errors["amount"] = [_("退款金额必须大于 0。")]
    elif locked.is_cancelled:
        errors["amount"] = [_("已取消的订单不能退款。")]
    elif value > locked.refundable:
        errors["amount"] = [
            _("退款金额不能超过可退金额 %(left)s（订单金额 %(total)s，已退 %(done)s）。")
            % {
                "left": money_display(locked.refundable, locked.currency),
                "total": money_display(locked.total, locked.currency),
                "done": money_display(locked.refunded_total, locked.currency),
            }
        ]
    if when < locked.ordered_at:
        errors["refunded_at"] = [_("退款时间不能早于下单时间。")]
    if errors:
        raise ValidationError(errors)
    refund = Refund.objects.create(
        order=locked,
        kind=kind,
        amount=value,
        reason=text,
        refunded_at=when,
        external_id=reference,
        created_by=actor,
    )
    refunded = locked.refunded_total + value
    given = OrderStatus.CANCELLED if locked.is_cancelled else OrderStatus.PAID
    Order.objects.filter(pk=locked.pk).update(
        refunded_total=refunded,
        status=effective_status(given, locked.total, refunded),
        updated_at=timezone.now(),
        updated_by=actor,
    )
    emit(CustomerEvent("order_refunded", locked.customer_id, actor.pk, {"order_id": locked.pk}))
    return refund, True


# --- products --------------------------------------------------------------------------------

PRODUCT_FIELDS = ("name", "sku", "category", "price", "unit_cost", "is_active")


def _product_clean(product: Product, data: Mapping[str, Any]) -> None:
    unknown = set(data) - set(PRODUCT_FIELDS)
    if unknown:
        raise ValidationError({key: _("未知字段。") for key in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    for key, value in data.items():
        if key in ("price", "unit_cost"):
            if key == "price" and value is None:
                _add(errors, key, _("请填写单价。"))
                continue
            value = _number(errors, key, value)
        elif key in ("name", "sku", "category"):
            value = _text(errors, key, value, 200 if key == "name" else 64)
        setattr(product, key, value)
    if "name" in data and not product.name and "name" not in errors:
        _add(errors, "name", _("请填写名称。"))
    if (
        product.sku
        and "sku" not in errors
        and Product.objects.filter(sku=product.sku).exclude(pk=product.pk).exists()
    ):
        _add(errors, "sku", _("已有相同货号的产品。"))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def product_create(*, actor: User, data: Mapping[str, Any]) -> Product:
    if not can_manage_products(actor):
        raise PermissionDenied
    product = Product(created_by=actor, updated_by=actor)
    _product_clean(product, {"name": "", **data})
    product.save()
    return product


@transaction.atomic
def product_update(
    *, actor: User, product: Product, data: Mapping[str, Any], version: int | None = None
) -> Product:
    """Change a product; with ``version``, refused (``ConflictError``) when someone
    saved it since. Orders keep the price and unit cost they were recorded with."""
    if not can_manage_products(actor):
        raise PermissionDenied
    product = Product.objects.select_for_update().get(pk=product.pk)
    if version is not None and version != product.version:
        raise ConflictError(
            _("该产品已被他人修改，请刷新后重试。"),
            details={"current_version": product.version},
        )
    _product_clean(product, data)
    product.version += 1
    product.updated_by = actor
    product.save()
    return product
