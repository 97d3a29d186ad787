"""Who may compare channels and type their costs.

==========  ===========================  ================
role        comparison, funnel (page,     costs (enter,
            API)                          change, delete)
==========  ===========================  ================
admin       yes                          yes
manager     yes                          yes
analyst     yes                          no
sales       no                           no
service     no                           no
==========  ===========================  ================

The comparison is aggregates over every customer and lead (no names), like the value
dashboard, so the same roles read it. A refused page answers 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from kehu.accounts.models import Role, User
from kehu.value.access import can_view_dashboard


def can_view_channels(user: User) -> bool:
    return can_view_dashboard(user)


def can_edit_costs(user: User) -> bool:
    return user.is_active and (user.is_admin_role or user.role == Role.MANAGER)


def access_channels(user: User) -> None:
    if not can_view_channels(user):
        raise PermissionDenied


def access_costs(user: User) -> None:
    if not can_edit_costs(user):
        raise PermissionDenied
