"""Who may see which value page. Every view and endpoint goes through here.

==========  ==========  =======================  ===========================  ========
role        dashboard   at-risk list, new        value card / customer API    model,
                        customers by target fit,                              settings
                        target-fit API
==========  ==========  =======================  ===========================  ========
admin       yes         every customer           every customer               yes
manager     yes         the team's and the pool  those they may see           no
analyst     yes         every customer           every customer               no
sales       no          own and the pool         those they may see           no
service     no          no                       every customer (they see     no
                                                 all customers)
==========  ==========  =======================  ===========================  ========

The dashboard shows aggregates over every customer (no names), hence managers and
analysts; lists of customers are always filtered by ``visibility_q``. A refused page
answers 403; a customer the user may not see answers 404 (``access_customer``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from kehu.accounts.models import Role, User


def can_view_dashboard(user: User) -> bool:
    return user.is_active and (user.is_admin_role or user.role in (Role.MANAGER, Role.ANALYST))


def can_view_at_risk(user: User) -> bool:
    return can_view_dashboard(user) or (user.is_active and user.role == Role.SALES)


def can_admin_value(user: User) -> bool:
    return user.is_admin_role


def access_dashboard(user: User) -> None:
    if not can_view_dashboard(user):
        raise PermissionDenied


def access_at_risk(user: User) -> None:
    if not can_view_at_risk(user):
        raise PermissionDenied


def access_target_fit(user: User) -> None:
    """The new customers ranked by target fit and the API's scoring of a profile: the
    roles of the at-risk list (the lists are filtered by visibility)."""
    access_at_risk(user)


def access_value_admin(user: User) -> None:
    if not can_admin_value(user):
        raise PermissionDenied
