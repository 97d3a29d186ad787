"""Who may see and change which customer. Every view and endpoint goes through here.

============  ===========================================  ==========================
role          sees                                          may change
============  ===========================================  ==========================
admin         every customer (and deleted ones, to restore)  everything
manager       the team's customers and the public pool       the team's and the pool's
sales         own customers and the public pool             own customers
service       every customer                                nothing (logs interactions)
analyst       every customer                                nothing
============  ===========================================  ==========================

An id the user may not see answers 404, exactly like an id that does not exist.
"""

from __future__ import annotations

from typing import Protocol

from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.http import Http404

from kehu.accounts.models import Role, User
from kehu.customers.models import Customer

NOTHING = Q(pk__in=[])


class Owned(Protocol):
    """What the ownership rules read of a record: a customer, or anything else that
    has an owner and a team the same way (a lead). ``visibility_q`` filters any model
    with ``owner`` and ``team`` fields."""

    @property
    def owner_id(self) -> int | None: ...

    @property
    def team_id(self) -> int | None: ...


SEES_ALL_ROLES = (Role.ADMIN, Role.SERVICE, Role.ANALYST)  # ``User.sees_all_customers``


def visibility_q(user: User) -> Q:
    """A filter over Customer fields: the customers ``user`` may see."""
    if not user.is_active:
        return NOTHING
    if user.sees_all_customers:
        return Q()
    if user.role == Role.MANAGER:
        if user.team_id:
            return Q(team_id=user.team_id) | Q(owner__isnull=True)
        return Q(owner_id=user.pk) | Q(owner__isnull=True)
    if user.role == Role.SALES:
        return Q(owner_id=user.pk) | Q(owner__isnull=True)
    return NOTHING


def user_sees_customer_q(user: str, customer: str) -> Q:
    """A filter over rows that name a user and a customer (a task: ``"assignee__"``,
    ``"customer__"``): the rows whose user may see the customer. ``visibility_q`` for
    many users at once, in SQL — keep the two in step (a test compares them)."""
    u, c = user, customer
    sees_all = Q(**{f"{u}is_superuser": True}) | Q(**{f"{u}role__in": SEES_ALL_ROLES})
    pool = Q(**{f"{c}owner__isnull": True, f"{u}role__in": (Role.SALES, Role.MANAGER)})
    own = Q(**{f"{u}role": Role.SALES, f"{c}owner_id": F(f"{u}id")})
    team = Q(
        **{f"{u}role": Role.MANAGER, f"{u}team__isnull": False, f"{c}team_id": F(f"{u}team_id")}
    )
    teamless = Q(
        **{f"{u}role": Role.MANAGER, f"{u}team__isnull": True, f"{c}owner_id": F(f"{u}id")}
    )
    return Q(**{f"{u}is_active": True}) & (sees_all | pool | own | team | teamless)


def can_write(user: User, customer: Owned) -> bool:
    if not user.is_active or user.is_read_only:
        return False
    if user.is_admin_role:
        return True
    if user.role == Role.MANAGER:
        return (
            customer.owner_id is None
            or (user.team_id is not None and customer.team_id == user.team_id)
            or customer.owner_id == user.pk
        )
    if user.role == Role.SALES:
        return customer.owner_id == user.pk
    return False


def hides_pool_contact_data(user: User) -> bool:
    """Whether ``user`` is kept from the contact data of pool customers (salespeople)."""
    return user.role == Role.SALES and not user.is_admin_role


def contact_data_hidden(user: User, customer: Owned) -> bool:
    """Pool customers show salespeople only name, region, industry, source and last
    activity: phones, e-mail, WeChat, address and contacts (``CONTACT_DATA_FIELDS``)
    only once claimed. Every surface that shows contact data asks this: the detail
    view, the change history and timeline, the API, search (``contact_data_visible_q``)."""
    return customer.owner_id is None and hides_pool_contact_data(user)


def contact_data_visible_q(user: User) -> Q:
    """A filter over Customer fields: the customers whose contact data ``user`` may see
    (among those ``visibility_q`` lets them see) — ``contact_data_hidden`` as a query."""
    return Q(owner__isnull=False) if hides_pool_contact_data(user) else Q()


def can_create(user: User) -> bool:
    return user.is_active and (user.is_admin_role or user.role in (Role.MANAGER, Role.SALES))


def can_reassign(user: User) -> bool:
    return user.is_active and (user.is_admin_role or user.role == Role.MANAGER)


def can_restore(user: User) -> bool:
    return user.is_admin_role


def can_view_pool_policy(user: User) -> bool:
    """The pool's rules (公海规则): whoever may claim from the pool reads them."""
    return user.is_active and (user.is_admin_role or user.role in (Role.MANAGER, Role.SALES))


def can_edit_pool_policy(user: User) -> bool:
    return user.is_admin_role


def access_customer(
    user: User, customer_id: object, *, write: bool = False, include_deleted: bool = False
) -> Customer:
    """The customer if ``user`` may see it (and change it, with ``write``).

    Raises ``Http404`` when it does not exist or is not the user's to see, and
    ``PermissionDenied`` when it is visible but read-only to this user.
    """
    try:
        pk = int(str(customer_id))
    except (TypeError, ValueError):
        raise Http404 from None
    customers = Customer.objects.filter(visibility_q(user))
    if not (include_deleted and can_restore(user)):
        customers = customers.filter(deleted_at__isnull=True)
    customer = customers.select_related("owner", "team").filter(pk=pk).first()
    if customer is None:
        raise Http404
    if write and not can_write(user, customer):
        raise PermissionDenied
    return customer


def can_log_interaction(user: User, customer: Customer) -> bool:
    """Record a touch or a follow-up task: whoever may change the customer, and the
    service team (客服) for every customer they see."""
    if not user.is_active or user.role == Role.ANALYST or customer.deleted_at is not None:
        return False
    return user.role == Role.SERVICE or can_write(user, customer)
