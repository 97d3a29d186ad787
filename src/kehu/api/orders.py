"""/api/v1: orders (one at a time or in batches), refunds, products.

Amounts are decimal **strings** in responses (``"1280.00"``), never floats. Requests
accept strings (recommended: exact) or JSON numbers (read through their shortest
decimal form, so ``19.9`` is ``19.90``; very long numbers may lose digits in a
client's own float first). Money has at most two decimal places, quantities three.

An order is idempotent on ``(source, external_id)``: pushing the same order again
answers 200 with the order as it is; pushing a changed one updates it (200, the
``version`` goes up and the previous content is kept in its history); a new one is
201. Times are ISO 8601; without an offset they are in ``KEHU_TIME_ZONE``
(Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

import pydantic
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict
from pydantic.json_schema import SkipJsonSchema

from kehu.api.auth import actor_of
from kehu.api.customers import (
    MAX_ID,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    DbId,
    Storable,
    Text64,
    customer_or_404,
)
from kehu.api.errors import ApiError, error_responses
from kehu.core.dates import ApiDateTime
from kehu.core.money import money_text
from kehu.customers.selectors import PageOutOfRange
from kehu.orders.access import access_order, can_record_orders
from kehu.orders.catalog import product_category_link
from kehu.orders.hooks import order_field_values, order_fields_apply
from kehu.orders.models import (
    Channel,
    Order,
    OrderStatus,
    PaymentStatus,
    Product,
    Refund,
    RefundKind,
)
from kehu.orders.selectors import (
    OrderFilters,
    ProductFilters,
    order_detail,
    order_list,
    product_list,
)
from kehu.orders.services import (
    MAX_BATCH,
    MAX_LINES,
    IngestResult,
    Outcome,
    invalid,
    order_upsert,
    orders_ingest,
    product_create,
    product_update,
    refund_record,
)

router = Router(tags=["orders"])


IsoDateTime = Annotated[
    ApiDateTime,
    Field(description="ISO 8601, e.g. 2025-03-01T10:30:00+08:00; years 1900–2100."),
]
Amount = Annotated[
    Decimal, Field(description='A decimal string such as "12.50" (exact), or a number.')
]
Key = Annotated[str, Field(min_length=1, max_length=64), Storable]
Text500 = Annotated[str, Field(min_length=1, max_length=500), Storable]


# --- schemas -----------------------------------------------------------------------------


# The order schemas are plain pydantic models: ninja's ``Schema`` runs a wrapping
# validator on every object (twice with ``extra="forbid"``), which is most of the cost
# of checking a batch of 1,000 orders with their lines.


class OrderLineIn(pydantic.BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: DbId | None = Field(None, description="The product's Kehu id, or give ``sku``.")
    sku: Text64 | None = Field(None, description="The product's SKU (货号).")
    quantity: Amount = Field(description="More than 0, at most three decimal places.")
    unit_price: Amount | None = Field(None, description="Default: the product's price.")
    discount: Amount = Field(Decimal("0.00"), description="Off this line's amount.")
    unit_cost: Amount | None = Field(
        None, description="Default: the product's unit cost now (unknown if it has none)."
    )


class OrderIn(pydantic.BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: Annotated[str, Field(min_length=1, max_length=32), Storable] = Field(
        description="The pushing system (e.g. ``youzan``); ``external_id`` is unique in it."
    )
    external_id: Key = Field(description="The order's id in ``source``.")
    customer_id: DbId | None = Field(None, description="The customer's Kehu id, or …")
    customer_external_id: Text64 | None = Field(
        None, description="… the customer's ``external_id`` in the same ``source``."
    )
    ordered_at: IsoDateTime
    status: OrderStatus = Field(
        OrderStatus.PAID,
        description=(
            "``paid`` or ``cancelled``. ``refunded`` and ``partially_refunded`` follow from "
            "refunds recorded with POST /orders/{id}/refunds and are refused here."
        ),
    )
    channel: Channel = Channel.OTHER
    payment_status: PaymentStatus | None = Field(
        None,
        description=(
            "How much the customer has paid: ``paid`` (default), ``partial`` or ``unpaid`` "
            "(a sale on credit still counts as a purchase). Refunds are ``status``."
        ),
    )
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = Field(
        None, description="ISO 4217; default KEHU_CURRENCY (CNY)."
    )
    total: Amount | None = Field(
        None,
        description=(
            "Required without lines. With lines it is their sum (quantity × unit_price − "
            "discount) and, if given, must match it."
        ),
    )
    cost: Amount | None = Field(
        None, description="Only without lines (lines carry unit costs). Unknown if absent."
    )
    lines: list[OrderLineIn] = Field(default_factory=list, max_length=MAX_LINES)


class OrderCreateIn(OrderIn):
    coupon_code: Annotated[str, Field(max_length=64), Storable] | None = Field(
        None,
        description=(
            "A coupon of the order's customer to redeem on it, in the same transaction: a "
            "coupon that may not be used (expired, used, below its threshold...) refuses "
            "the order with 422 and ``errors.coupon_code``. Only here, not in batches."
        ),
    )


class ProductRef(Schema):
    id: int
    name: str
    sku: str


class OrderLineOut(Schema):
    position: int
    product: ProductRef
    quantity: str
    unit_price: str
    discount: str
    unit_cost: str | None
    amount: str
    cost: str | None = Field(description="null: the unit cost is unknown.")


class RefundOut(Schema):
    id: int
    kind: RefundKind
    amount: str
    reason: str
    refunded_at: dt.datetime
    external_id: str
    created_at: dt.datetime


class OrderOut(Schema):
    id: int
    source: str
    external_id: str
    customer_id: int
    ordered_at: dt.datetime
    channel: Channel
    status: OrderStatus
    payment_status: PaymentStatus
    currency: str
    total: str = Field(description="Revenue: the sum of the lines, or the amount pushed.")
    cost: str | None = Field(description="null: unknown (some line has no unit cost).")
    gross_profit: str | None = Field(description="total − cost; null when the cost is unknown.")
    refunded_total: str
    net_revenue: str = Field(description="total − refunds (0 for a cancelled order).")
    version: int
    lines: list[OrderLineOut]
    refunds: list[RefundOut]
    created_at: dt.datetime
    updated_at: dt.datetime


def _refund_out(refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.pk,
        "kind": refund.kind,
        "amount": money_text(refund.amount),
        "reason": refund.reason,
        "refunded_at": refund.refunded_at,
        "external_id": refund.external_id,
        "created_at": refund.created_at,
    }


def order_out(order: Order) -> dict[str, Any]:
    """An order as JSON; its lines (with products) and refunds prefetched."""
    return {
        "id": order.pk,
        "source": order.source,
        "external_id": order.external_id,
        "customer_id": order.customer_id,
        "ordered_at": order.ordered_at,
        "channel": order.channel,
        "status": order.status,
        "payment_status": order.payment_status,
        "currency": order.currency,
        "total": money_text(order.total),
        "cost": money_text(order.cost),
        "gross_profit": money_text(order.gross_profit),
        "refunded_total": money_text(order.refunded_total),
        "net_revenue": money_text(order.net_revenue),
        "version": order.version,
        "lines": [
            {
                "position": line.position,
                "product": {
                    "id": line.product.pk,
                    "name": line.product.name,
                    "sku": line.product.sku,
                },
                "quantity": f"{line.quantity:.3f}",
                "unit_price": money_text(line.unit_price),
                "discount": money_text(line.discount),
                "unit_cost": money_text(line.unit_cost),
                "amount": money_text(line.amount),
                "cost": money_text(line.cost),
            }
            for line in order.lines.all()
        ],
        "refunds": [_refund_out(refund) for refund in order.refunds.all()],
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }


def order_or_404(request: HttpRequest, order_id: int, *, write: bool = False) -> Order:
    if not 1 <= order_id <= MAX_ID:
        raise ApiError(404, "not_found", _("未找到。"))
    return access_order(actor_of(request), order_id, write=write)


# --- orders --------------------------------------------------------------------------------


@router.post(
    "/orders",
    response={200: OrderOut, 201: OrderOut, **error_responses(403, 404, 409)},
    summary="Record an order (idempotent on source + external_id)",
    description=(
        "201 when new; 200 when the same order was already recorded (nothing changes) or "
        "a changed one updated it (``version`` goes up, the previous content is kept). "
        "404 ``not_found`` for a customer that does not exist or you may not see; 403 "
        "``forbidden`` when you may see it but not change it, or for read-only roles; 422 "
        "``invalid`` for bad amounts, dates, unknown products (``errors`` by field, e.g. "
        "``lines.0.quantity``)."
    ),
)
def orders_create(request: HttpRequest, response: HttpResponse, payload: OrderCreateIn) -> Any:
    actor = actor_of(request)
    extras = order_field_values({"coupon_code": payload.coupon_code})
    if not extras:
        order, outcome = order_upsert(actor=actor, data=payload)
    else:  # the order and its coupon together, or neither
        with transaction.atomic():
            order, outcome = order_upsert(actor=actor, data=payload)
            order_fields_apply(actor=actor, order=order, values=extras)
    response["Location"] = f"{request.path.rstrip('/')}/{order.pk}"
    return Status(201 if outcome == Outcome.CREATED else 200, order_out(order_detail(order)))


def _pydantic_errors(exc: pydantic.ValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in exc.errors():
        key = ".".join(str(part) for part in error.get("loc", ())) or "__all__"
        errors.setdefault(key, []).append(str(error.get("msg", "")))
    return errors


class BatchIn(pydantic.BaseModel):
    model_config = ConfigDict(extra="forbid")

    # An order that is not valid stays as sent (the hidden ``Any``) and is reported by
    # index, so one bad order does not refuse the batch.
    orders: list[
        Annotated[
            OrderIn | SkipJsonSchema[Any],
            Field(union_mode="left_to_right"),
        ]
    ] = Field(max_length=MAX_BATCH, description=f"Up to {MAX_BATCH} orders, as in POST /orders.")


class ItemErrorOut(pydantic.BaseModel):
    code: str = Field(description="invalid, not_found, forbidden or conflict.")
    message: str
    errors: dict[str, list[str]] | None = None


class BatchResultOut(pydantic.BaseModel):
    index: int
    id: int | None = Field(None, description="The order's id (the good ones).")
    outcome: Literal["created", "updated", "unchanged"] | None = None
    error: ItemErrorOut | None = Field(None, description="Why this one was refused.")


class BatchOut(pydantic.BaseModel):
    results: list[BatchResultOut]


def _result_out(index: int, result: IngestResult) -> dict[str, Any]:
    """One ``BatchResultOut`` as JSON, without the keys that are null."""
    if result.error is not None:
        error = result.error
        out: dict[str, Any] = {"code": error.code, "message": error.message}
        if error.errors:
            out["errors"] = error.errors
        return {"index": index, "error": out}
    return {"index": index, "id": result.order_id, "outcome": result.outcome}


@router.post(
    "/orders/batch",
    response={200: BatchOut, **error_responses(403)},
    exclude_none=True,
    summary="Record up to 1,000 orders",
    description=(
        "Each order as in POST /orders. Answers one result per order, in order: "
        '``{"index", "id", "outcome"}`` or ``{"index", "error": {"code", "message", '
        '"errors"?}}``. Bad orders change nothing; the good ones are kept. The same '
        "``(source, external_id)`` twice in a batch applies in order, like two pushes."
    ),
)
def orders_batch(request: HttpRequest, payload: BatchIn) -> Any:
    actor = actor_of(request)
    if not can_record_orders(actor):
        raise ApiError(403, "forbidden", _("您无权执行此操作。"))
    results: list[dict[str, Any]] = [{} for _item in payload.orders]
    indexes: list[int] = []
    good: list[OrderIn] = []
    for index, item in enumerate(payload.orders):
        if not isinstance(item, OrderIn):
            try:
                item = OrderIn.model_validate(item)
            except pydantic.ValidationError as exc:
                results[index] = _result_out(
                    index, IngestResult(index, error=invalid(_pydantic_errors(exc)))
                )
                continue
        indexes.append(index)
        good.append(item)
    for index, result in zip(indexes, orders_ingest(actor=actor, items=good), strict=True):
        results[index] = _result_out(index, result)
    # Built as ``BatchOut`` says: answered as it is, not validated again field by field
    # (a thousand results).
    return JsonResponse({"results": results})


@router.get(
    "/orders/{order_id}",
    response={200: OrderOut, **error_responses(404)},
    summary="Read an order, with its lines and refunds",
)
def orders_read(request: HttpRequest, order_id: int) -> Any:
    return order_out(order_detail(order_or_404(request, order_id)))


class RefundIn(Schema):
    model_config = ConfigDict(extra="forbid")

    amount: Amount = Field(description="More than 0; at most what was paid and not refunded.")
    reason: Text500
    kind: RefundKind = RefundKind.REFUND
    refunded_at: IsoDateTime | None = Field(None, description="Default: now.")
    external_id: Text64 = Field(
        "", description="The refund's id in the pushing system: sent twice, recorded once."
    )


@router.post(
    "/orders/{order_id}/refunds",
    response={200: OrderOut, 201: OrderOut, **error_responses(403, 404)},
    summary="Record a refund or a return on an order",
    description=(
        "Answers the order with its refunds and new status (``partially_refunded`` or "
        "``refunded``): 201, or 200 when a refund with the same ``external_id`` was "
        "already recorded. 422 when the amount is more than what is left to refund."
    ),
)
def orders_refund(request: HttpRequest, order_id: int, payload: RefundIn) -> Any:
    order = order_or_404(request, order_id, write=True)
    _refund, created = refund_record(
        actor=actor_of(request),
        order=order,
        amount=payload.amount,
        reason=payload.reason,
        refunded_at=payload.refunded_at,
        kind=payload.kind,
        external_id=payload.external_id,
    )
    return Status(201 if created else 200, order_out(order_detail(order)))


class OrderPageOut(Schema):
    items: list[OrderOut]
    count: int
    count_is_capped: bool
    page: int
    page_size: int
    num_pages: int


class CustomerOrdersQuery(Schema):
    page: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 1
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 25
    channel: Channel | SkipJsonSchema[None] = None
    status: OrderStatus | SkipJsonSchema[None] = None


@router.get(
    "/customers/{customer_id}/orders",
    response={200: OrderPageOut, **error_responses(404)},
    summary="A customer's orders, newest first",
    description="404 ``page_out_of_range`` for a page past the last one.",
)
def customer_orders(
    request: HttpRequest, customer_id: int, query: Query[CustomerOrdersQuery]
) -> Any:
    customer = customer_or_404(request, customer_id)
    filters = OrderFilters(
        customer=customer.pk, channel=query.channel or "", status=query.status or ""
    )
    page = order_list(
        actor_of(request), filters, page=query.page, page_size=query.page_size, with_lines=True
    )
    return {
        "items": [order_out(order) for order in page.items],
        "count": page.count,
        "count_is_capped": page.count_is_capped,
        "page": page.page,
        "page_size": page.page_size,
        "num_pages": page.num_pages,
    }


# --- products ------------------------------------------------------------------------------


class ProductOut(Schema):
    id: int
    name: str
    sku: str
    category: str
    price: str
    unit_cost: str | None = Field(description="null: unknown.")
    is_active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ProductPageOut(Schema):
    items: list[ProductOut]
    count: int
    page: int
    page_size: int
    num_pages: int


def _product_out(product: Product) -> dict[str, Any]:
    return {
        "id": product.pk,
        "name": product.name,
        "sku": product.sku,
        "category": product.category,
        "price": money_text(product.price),
        "unit_cost": money_text(product.unit_cost),
        "is_active": product.is_active,
        "version": product.version,
        "created_at": product.created_at,
        "updated_at": product.updated_at,
    }


class ProductQuery(Schema):
    q: Annotated[str, Field(max_length=100), Storable] = Field(
        "", description="Part of the name or SKU."
    )
    category: Text64 = ""
    active: bool | SkipJsonSchema[None] = None
    page: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 1
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 25


@router.get(
    "/products",
    response={200: ProductPageOut, **error_responses(404)},
    summary="List products",
)
def products_list(request: HttpRequest, query: Query[ProductQuery]) -> Any:
    products = product_list(
        ProductFilters(category=query.category.strip(), q=query.q.strip(), active=query.active)
    )
    count = products.count()
    num_pages = max(1, -(-count // query.page_size))
    if query.page > num_pages:
        raise PageOutOfRange
    start = (query.page - 1) * query.page_size
    return {
        "items": [_product_out(p) for p in products[start : start + query.page_size]],
        "count": count,
        "page": query.page,
        "page_size": query.page_size,
        "num_pages": num_pages,
    }


class ProductFields(Schema):
    model_config = ConfigDict(extra="forbid")

    sku: Text64 | None = Field(None, description="Unique; how other systems name it.")
    category: Text64 | None = None
    unit_cost: Amount | None = Field(None, description="null: unknown.")
    is_active: bool | None = None


class ProductCreateIn(ProductFields):
    name: Annotated[str, Field(min_length=1, max_length=200), Storable]
    price: Amount


class ProductPatchIn(ProductFields):
    name: Annotated[str, Field(min_length=1, max_length=200), Storable] | None = None
    price: Amount | None = None
    version: DbId | None = Field(
        None, description="The version read: 409 ``conflict`` when it changed since."
    )


def _product_data(payload: ProductFields) -> dict[str, Any]:
    data = {key: getattr(payload, key) for key in payload.model_fields_set if key != "version"}
    for key in ("sku", "category"):
        if key in data and data[key] is None:
            data[key] = ""
    if data.get("is_active", True) is None:
        data.pop("is_active")
    return data


@router.post(
    "/products",
    response={201: ProductOut, **error_responses(403)},
    summary="Create a product (admins and managers)",
)
def products_create(request: HttpRequest, response: HttpResponse, payload: ProductCreateIn) -> Any:
    product = product_create(actor=actor_of(request), data=_product_data(payload))
    product_category_link(product)  # the catalogue's category of that name, if one
    response["Location"] = f"{request.path.rstrip('/')}/{product.pk}"
    return Status(201, _product_out(product))


@router.patch(
    "/products/{product_id}",
    response={200: ProductOut, **error_responses(403, 404, 409)},
    summary="Change a product (admins and managers)",
    description="Orders already recorded keep the prices and unit costs they had.",
)
def products_patch(request: HttpRequest, product_id: int, payload: ProductPatchIn) -> Any:
    if not 1 <= product_id <= MAX_ID:
        raise ApiError(404, "not_found", _("未找到。"))
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise ApiError(404, "not_found", _("未找到。"))
    updated = product_update(
        actor=actor_of(request),
        product=product,
        data=_product_data(payload),
        version=payload.version,
    )
    if "category" in payload.model_fields_set:
        product_category_link(updated)
    return _product_out(updated)


__all__ = ["router"]
