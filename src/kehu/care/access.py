"""Who may do what with care plans. Every care view and endpoint goes through here.

==================  =====================================================================
what                who
==================  =====================================================================
see the agenda      everyone active; rows only for customers they may see
                    (``kehu.customers.access.visibility_q``)
build the agenda    admins and managers (the "create today's tasks" button; the job
                    builds it anyway)
send greetings      admins, managers, sales, service (not analysts: read only), to the
                    customers they see
act on lines        the same roles: a task for a ticked line, its task done (each line
                    checked: the customer's writers and the service team)
edit rules,         admins only
festivals, cadence
==================  =====================================================================
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from kehu.accounts.models import Role, User
from kehu.customers.access import visibility_q
from kehu.customers.search import q_through


def can_see_agenda(user: User) -> bool:
    return user.is_active


def can_build_agenda(user: User) -> bool:
    return user.is_active and (user.is_admin_role or user.role == Role.MANAGER)


def can_send_greetings(user: User) -> bool:
    return (
        user.is_active
        and not user.is_read_only
        and (user.is_admin_role or user.role in (Role.MANAGER, Role.SALES, Role.SERVICE))
    )


def can_act_on_items(user: User) -> bool:
    """Make tasks for agenda lines or mark their tasks done (each line checked again:
    the customer's writers and the service team, as for any follow-up task)."""
    return (
        user.is_active
        and not user.is_read_only
        and (user.is_admin_role or user.role in (Role.MANAGER, Role.SALES, Role.SERVICE))
    )


def can_edit_rules(user: User) -> bool:
    return user.is_admin_role


def care_items_q(user: User) -> Q:
    """A filter over CareItem: lines of live customers ``user`` may see."""
    return q_through(visibility_q(user), "customer__") & Q(customer__deleted_at__isnull=True)


def access_rules(user: User) -> None:
    """Raise ``PermissionDenied`` unless ``user`` may edit rules and festivals."""
    if not can_edit_rules(user):
        raise PermissionDenied


def access_build(user: User) -> None:
    if not can_build_agenda(user):
        raise PermissionDenied
