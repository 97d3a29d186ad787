"""Who may see and change which member's points. Every view and endpoint goes through
here.

============  ==========================  ===========================  ================
role          sees the card and ledger    grants and deducts points    redeems points
============  ==========================  ===========================  ================
admin         every customer              yes                          yes
manager       the customers they see      the team's customers         the team's
sales         own customers               own, if KEHU_LOYALTY_SALES_  own customers
                                          MAY_GRANT
service       every customer              no                           every customer
analyst       every customer              no                           no
============  ==========================  ===========================  ================

The programme (levels, earn rules, gifts) is the admins' to change. A customer the user
cannot see answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from kehu.accounts.models import Role, User
from kehu.customers.access import NOTHING, access_customer, can_write, visibility_q
from kehu.customers.models import Customer
from kehu.loyalty.models import Member
from kehu.orders.access import prefixed


def can_grant(user: User, customer: Customer) -> bool:
    if not user.is_active or user.is_read_only or customer.deleted_at is not None:
        return False
    if user.is_admin_role:
        return True
    if user.role == Role.MANAGER:
        return can_write(user, customer)
    if user.role == Role.SALES and settings.KEHU_LOYALTY_SALES_MAY_GRANT:
        return customer.owner_id == user.pk
    return False


def can_redeem(user: User, customer: Customer) -> bool:
    if not user.is_active or user.is_read_only or customer.deleted_at is not None:
        return False
    return user.role == Role.SERVICE or can_write(user, customer)


def can_manage_programme(user: User) -> bool:
    return user.is_admin_role


def can_see_members(user: User) -> bool:
    return user.is_active


def access_loyalty_customer(user: User, customer_id: object, *, action: str = "view") -> Customer:
    """The customer if ``user`` sees it; ``Http404`` when not (or no such customer),
    ``PermissionDenied`` when visible but ``action`` ("grant", "redeem") is refused."""
    customer = access_customer(user, customer_id)
    if action == "grant" and not can_grant(user, customer):
        raise PermissionDenied
    if action == "redeem" and not can_redeem(user, customer):
        raise PermissionDenied
    return customer


def member_visibility_q(user: User) -> Q:
    if not user.is_active:
        return NOTHING
    alive = Q(customer__deleted_at__isnull=True)
    if user.sees_all_customers:
        return alive
    return prefixed(visibility_q(user), "customer__") & alive


def members_visible_to(user: User) -> QuerySet[Member]:
    return Member.objects.filter(member_visibility_q(user))


def require_programme(user: User) -> None:
    if not can_manage_programme(user):
        raise PermissionDenied
