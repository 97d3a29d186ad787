"""Who may see and change which order: exactly the rules of its customer.

An order is visible when its customer is (``kehu.customers.access``); recording or
changing an order, or a refund on it, needs write access to the customer (owners,
their managers, admins). Service and analysts read only. Products are managed by
admins and managers and readable by everyone.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from kehu.accounts.models import Role, User
from kehu.customers.access import can_create, can_write, visibility_q
from kehu.orders.models import Order


def prefixed(q: Q, prefix: str) -> Q:
    """``q`` with every lookup moved under ``prefix`` (``owner_id`` → ``customer__owner_id``)."""
    moved = Q()
    moved.connector = q.connector
    moved.negated = q.negated
    for child in q.children:
        if isinstance(child, Q):
            moved.children.append(prefixed(child, prefix))
        else:
            lookup, value = child  # type: ignore[misc]
            moved.children.append((prefix + lookup, value))
    return moved


def order_visibility_q(user: User) -> Q:
    """A filter over Order fields: the orders of live customers ``user`` may see."""
    return prefixed(visibility_q(user), "customer__") & Q(customer__deleted_at__isnull=True)


def can_record_orders(user: User) -> bool:
    """Whether the user's role may record orders at all (for some customer)."""
    return can_create(user)


def can_write_order(user: User, order: Order) -> bool:
    return can_write(user, order.customer)


def can_manage_products(user: User) -> bool:
    return user.is_active and (user.is_admin_role or user.role == Role.MANAGER)


def access_order(user: User, order_id: object, *, write: bool = False) -> Order:
    """The order if ``user`` may see it (and change it, with ``write``).

    ``Http404`` when it does not exist or its customer is not the user's to see,
    ``PermissionDenied`` when it is visible but read-only to this user.
    """
    try:
        pk = int(str(order_id))
    except (TypeError, ValueError):
        raise Http404 from None
    if not 1 <= pk <= 2**63 - 1:
        raise Http404
    order = (
        Order.objects.filter(order_visibility_q(user))
        .select_related("customer", "customer__owner", "customer__team")
        .filter(pk=pk)
        .first()
    )
    if order is None:
        raise Http404
    if write and not can_write_order(user, order):
        raise PermissionDenied
    return order
