"""Who may send messages to whom, and who may see campaigns and consent.

============  ==========================================  =============================
role          may send                                    to
============  ==========================================  =============================
admin         every purpose                               every customer
manager       every purpose                               the team's customers (own
                                                          ones when without a team)
sales         every purpose                               own customers
service       ``incident`` and ``survey`` only (the        every customer they see
              complaint and survey apps send for them)
analyst       nothing                                     —
============  ==========================================  =============================

Message templates are shared: whoever may send uses any of them; only the author, a
manager of the author's team or an admin changes or deletes one.

Customers in the public pool have no owner: nobody but an admin sends to them. The
recipients of a send are always limited to ``sendable_q``; a campaign is visible to
its creator, to admins, and to managers for campaigns of their team members. Consent
is seen by whoever sees the customer and changed by whoever may change the customer
(and by the service team, who take the customer's calls).
"""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404

from kehu.accounts.models import Role, User
from kehu.customers.access import NOTHING, can_write, visibility_q
from kehu.customers.models import Customer
from kehu.messaging.models import Campaign, MessageTemplate, Purpose

SERVICE_PURPOSES = frozenset({Purpose.INCIDENT, Purpose.SURVEY})


def can_send(user: User, purpose: str = Purpose.MARKETING) -> bool:
    if not user.is_active or user.is_read_only:
        return False
    if user.is_admin_role or user.role in (Role.MANAGER, Role.SALES):
        return True
    return user.role == Role.SERVICE and purpose in SERVICE_PURPOSES


def can_send_any(user: User) -> bool:
    """May open the group-send page (marketing and care sends)."""
    return can_send(user, Purpose.MARKETING)


def can_change_template(user: User, template: MessageTemplate) -> bool:
    """Edit or delete a shared template: its author, a manager of the author's team, an
    admin (a template whose author is gone: admins only)."""
    if not can_send_any(user):
        return False
    if user.is_admin_role:
        return True
    author = template.created_by
    if author is None:
        return False
    if author.pk == user.pk:
        return True
    return user.role == Role.MANAGER and user.team_id is not None and author.team_id == user.team_id


def sendable_q(user: User, purpose: str = Purpose.MARKETING) -> Q:
    """A filter over Customer fields: whom ``user`` may message for ``purpose``."""
    if not can_send(user, purpose):
        return NOTHING
    if user.is_admin_role:
        return Q()
    if user.role == Role.SERVICE:
        return visibility_q(user)
    if user.role == Role.MANAGER and user.team_id:
        return Q(team_id=user.team_id) | Q(owner_id=user.pk)
    return Q(owner_id=user.pk)


def campaigns_q(user: User) -> Q:
    """A filter over Campaign fields: the campaigns ``user`` may see."""
    if not user.is_active or (user.role == Role.ANALYST and not user.is_superuser):
        return Q(pk__in=[])
    if user.is_admin_role:
        return Q()
    if user.role == Role.MANAGER and user.team_id:
        return Q(created_by_id=user.pk) | Q(created_by__team_id=user.team_id)
    return Q(created_by_id=user.pk)


def access_campaign(user: User, campaign_id: object) -> Campaign:
    """The campaign if ``user`` may see it, else ``Http404``."""
    try:
        pk = int(str(campaign_id))
    except (TypeError, ValueError):
        raise Http404 from None
    if not 1 <= pk < 2**63:
        raise Http404
    campaign = (
        Campaign.objects.filter(campaigns_q(user)).select_related("created_by").filter(pk=pk)
    ).first()
    if campaign is None:
        raise Http404
    return campaign


def can_change_consent(user: User, customer: Customer) -> bool:
    if not user.is_active or user.is_read_only or customer.deleted_at is not None:
        return False
    return user.role == Role.SERVICE or can_write(user, customer)
