"""Every write to products, orders and refunds, in one name for callers.

The work is in modules of their own: ``inputs`` (an order as pushed, checked on its
own), ``ingest_plan`` (what a batch names and each item against it), ``ingest``
(``orders_ingest`` / ``order_upsert``, the writing), ``refunds`` and ``products``.
"""

from __future__ import annotations

from kehu.orders.ingest import (
    LINE_COLUMNS,
    LINE_FIELDS,
    ORDER_COLUMNS,
    order_content,
    order_upsert,
    orders_ingest,
)
from kehu.orders.inputs import (
    MAX_BATCH,
    MAX_LINES,
    MONEY_LIMIT,
    QUANTITY_LIMIT,
    IngestResult,
    LineData,
    LineInput,
    OrderData,
    OrderInput,
    OrderItemError,
    OrderNotFound,
    Outcome,
    invalid,
)
from kehu.orders.products import PRODUCT_FIELDS, product_create, product_update
from kehu.orders.refunds import refund_record

__all__ = [
    "LINE_COLUMNS",
    "LINE_FIELDS",
    "MAX_BATCH",
    "MAX_LINES",
    "MONEY_LIMIT",
    "ORDER_COLUMNS",
    "PRODUCT_FIELDS",
    "QUANTITY_LIMIT",
    "IngestResult",
    "LineData",
    "LineInput",
    "OrderData",
    "OrderInput",
    "OrderItemError",
    "OrderNotFound",
    "Outcome",
    "invalid",
    "order_content",
    "order_upsert",
    "orders_ingest",
    "product_create",
    "product_update",
    "refund_record",
]
