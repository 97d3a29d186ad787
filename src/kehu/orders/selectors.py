"""Reads of orders and products, already scoped to what the actor may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Max, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum

from kehu.accounts.models import User
from kehu.core.days import day_end, day_start
from kehu.core.paging import PageNav
from kehu.customers.models import Customer
from kehu.customers.selectors import PageOutOfRange
from kehu.orders.access import order_visibility_q
from kehu.orders.models import (
    PURCHASE_STATUSES,
    Order,
    OrderLine,
    OrderRevision,
    OrderStatus,
    Product,
    Refund,
)

ZERO = Decimal("0.00")


def orders_visible_to(user: User) -> QuerySet[Order]:
    return Order.objects.filter(order_visibility_q(user))


def last_purchase_at() -> Subquery:
    """When the customer (``OuterRef("pk")`` of a customer queryset) last bought: the
    newest purchase, read through the orders' ``(customer, ordered_at)`` index."""
    purchases = Order.objects.filter(customer_id=OuterRef("pk"), status__in=PURCHASE_STATUSES)
    return Subquery(purchases.order_by("-ordered_at").values("ordered_at")[:1])


@dataclass
class OrderFilters:
    channel: str = ""
    status: str = ""
    date_from: dt.date | None = None  # local dates (KEHU_TIME_ZONE), both included
    date_to: dt.date | None = None
    customer: int | None = None

    def as_q(self) -> Q:
        q = Q()
        if self.channel:
            q &= Q(channel=self.channel)
        if self.status:
            q &= Q(status=self.status)
        if self.customer:
            q &= Q(customer_id=self.customer)
        if self.date_from:
            q &= Q(ordered_at__gte=day_start(self.date_from))
        if self.date_to:
            q &= Q(ordered_at__lt=day_end(self.date_to))
        return q


@dataclass
class OrderPage(PageNav):
    items: list[Order]
    page: int
    page_size: int
    count: int
    count_is_capped: bool = False
    num_pages: int = 1
    filters: OrderFilters = field(default_factory=OrderFilters)


def _with_lines(orders: QuerySet[Order], *, refunds_by: bool = False) -> QuerySet[Order]:
    refunds = Refund.objects.order_by("refunded_at", "id")
    if refunds_by:
        refunds = refunds.select_related("created_by")
    return orders.prefetch_related(
        Prefetch(
            "lines",
            queryset=OrderLine.objects.select_related("product").order_by("position"),
        ),
        Prefetch("refunds", queryset=refunds),
    )


def order_list(
    user: User,
    filters: OrderFilters,
    *,
    page: int = 1,
    page_size: int | None = None,
    with_lines: bool = False,
) -> OrderPage:
    """One page of the orders ``user`` may see, newest first. Counts stop at
    ``KEHU_LIST_COUNT_CAP`` ("10,000+"), like the customer list."""
    page_size = page_size or settings.KEHU_PAGE_SIZE
    if page < 1:
        raise PageOutOfRange
    orders = orders_visible_to(user).filter(filters.as_q())
    cap = settings.KEHU_LIST_COUNT_CAP
    count = orders.order_by()[: cap + 1].count()
    capped = count > cap
    count = min(count, cap)
    num_pages = max(1, -(-count // page_size))
    if page > num_pages:
        raise PageOutOfRange
    offset = (page - 1) * page_size
    rows = orders.select_related("customer").order_by("-ordered_at", "-id")
    if with_lines:
        rows = _with_lines(rows)
    return OrderPage(
        items=list(rows[offset : offset + page_size]),
        page=page,
        page_size=page_size,
        count=count,
        count_is_capped=capped,
        num_pages=num_pages,
        filters=filters,
    )


def order_detail(order: Order) -> Order:
    """The order with its lines (and products), refunds and who recorded them."""
    return (
        _with_lines(Order.objects.filter(pk=order.pk), refunds_by=True)
        .select_related("customer", "created_by", "updated_by")
        .get()
    )


def order_revisions(order: Order, *, limit: int = 50) -> list[OrderRevision]:
    return list(order.revisions.select_related("changed_by").order_by("-version")[:limit])


def orders_for_customer(customer: Customer, *, limit: int = 10) -> list[Order]:
    """The customer's newest orders, for the customer page.

    Not scoped by user: pass a customer the viewer was given by ``access_customer``.
    """
    return list(Order.objects.filter(customer=customer).order_by("-ordered_at", "-id")[:limit])


@dataclass(frozen=True)
class OrderSummary:
    """A customer's orders in numbers. Cancelled orders count for nothing but
    ``cancelled``.

    ``gross_profit`` adds up the orders whose cost is known; ``orders_without_cost``
    says how many are left out of it (``gross_profit_complete`` is then false), and
    ``gross_profit`` is ``None`` when no order has a known cost."""

    count: int
    cancelled: int
    revenue: Decimal
    refunds: Decimal
    net_revenue: Decimal
    gross_profit: Decimal | None
    orders_without_cost: int
    first_order_at: dt.datetime | None
    last_order_at: dt.datetime | None

    @property
    def gross_profit_complete(self) -> bool:
        return self.orders_without_cost == 0 and self.gross_profit is not None


def _money(value: Decimal | None) -> Decimal:
    return (value or ZERO).quantize(Decimal("0.01"))


def order_summary(customer: Customer) -> OrderSummary:
    """Count, revenue, refunds and gross profit of a customer's orders (one query)."""
    live = ~Q(status=OrderStatus.CANCELLED)
    known = live & Q(cost__isnull=False)
    row = Order.objects.filter(customer=customer).aggregate(
        count=Count("pk", filter=live),
        cancelled=Count("pk", filter=~live),
        revenue=Sum("total", filter=live),
        refunds=Sum("refunded_total", filter=live),
        known_revenue=Sum("total", filter=known),
        known_cost=Sum("cost", filter=known),
        known_count=Count("pk", filter=known),
        first=Min("ordered_at", filter=live),
        last=Max("ordered_at", filter=live),
    )
    revenue = _money(row["revenue"])
    refunds = _money(row["refunds"])
    known_count = row["known_count"] or 0
    profit = _money(row["known_revenue"]) - _money(row["known_cost"]) if known_count > 0 else None
    return OrderSummary(
        count=row["count"] or 0,
        cancelled=row["cancelled"] or 0,
        revenue=revenue,
        refunds=refunds,
        net_revenue=revenue - refunds,
        gross_profit=profit,
        orders_without_cost=(row["count"] or 0) - known_count,
        first_order_at=row["first"],
        last_order_at=row["last"],
    )


@dataclass
class ProductFilters:
    category: str = ""
    q: str = ""
    active: bool | None = None


def product_list(filters: ProductFilters) -> QuerySet[Product]:
    """Products every user may read (for order lines and price lists)."""
    products = Product.objects.all()
    if filters.category:
        products = products.filter(category=filters.category)
    if filters.q:
        products = products.filter(Q(name__icontains=filters.q) | Q(sku__icontains=filters.q))
    if filters.active is not None:
        products = products.filter(is_active=filters.active)
    return products.order_by("category", "name", "id")


def product_categories() -> list[str]:
    return list(
        Product.objects.exclude(category="")
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()
    )
