"""Order status badges (amounts go through the ``money`` filter of ``kehu``) and the
customer page's order card data."""

from __future__ import annotations

from django import template

from kehu.accounts.models import User
from kehu.customers.access import can_write
from kehu.customers.models import Customer
from kehu.orders.access import can_record_orders
from kehu.orders.models import Order
from kehu.orders.selectors import OrderSummary, order_summary, orders_for_customer

register = template.Library()

STATUS_BADGES = {
    "paid": "text-bg-success",
    "cancelled": "text-bg-secondary",
    "refunded": "text-bg-danger",
    "partially_refunded": "text-bg-warning",
}


@register.filter
def status_badge(status: str) -> str:
    return STATUS_BADGES.get(status, "text-bg-light")


@register.simple_tag
def customer_order_summary(customer: Customer) -> OrderSummary:
    """``{% customer_order_summary customer as order_summary %}`` on the customer page
    (pass a customer the viewer was given by ``access_customer``)."""
    return order_summary(customer)


@register.simple_tag
def customer_recent_orders(customer: Customer, limit: int = 5) -> list[Order]:
    """``{% customer_recent_orders customer as recent_orders %}``: the newest orders."""
    return orders_for_customer(customer, limit=limit)


@register.simple_tag
def may_record_sale(user: object, customer: Customer | None = None) -> bool:
    """``{% may_record_sale user customer as may_sell %}``: whether the "record a sale"
    buttons show (for ``customer``, or at all); the views check it again."""
    if not isinstance(user, User) or not can_record_orders(user):
        return False
    return customer is None or (customer.deleted_at is None and can_write(user, customer))
