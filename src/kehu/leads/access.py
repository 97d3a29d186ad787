"""Who may see and change which lead. Every view and endpoint goes through here.

Leads follow their owner and team exactly as customers do (``customers.access``):

============  ===========================================  ==========================
role          sees                                          may change
============  ===========================================  ==========================
admin         every lead                                    everything
manager       the team's leads and the lead pool            the team's and the pool's
sales         own leads and the lead pool                   own leads
service       every lead                                    nothing
analyst       every lead                                    nothing
============  ===========================================  ==========================

The pool shows salespeople a lead's name, company and region but not its phone
until they claim it (``contact_data_hidden``, the customers' rule). An id the user
may not see answers 404, exactly like an id that does not exist.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from kehu.accounts.models import Role, User
from kehu.customers.access import can_reassign, can_write, visibility_q
from kehu.leads.models import Lead

MAX_ID = 2**63 - 1


def leads_visible_to(user: User) -> QuerySet[Lead]:
    return Lead.objects.alive().filter(visibility_q(user))


def can_create_lead(user: User) -> bool:
    return user.is_active and (user.is_admin_role or user.role in (Role.MANAGER, Role.SALES))


def can_change_lead(user: User, lead: Lead) -> bool:
    return lead.deleted_at is None and can_write(user, lead)


def can_claim_lead(user: User) -> bool:
    return user.is_active and (user.is_admin_role or user.role in (Role.MANAGER, Role.SALES))


def can_assign_leads(user: User) -> bool:
    """Hand leads to someone, run the assignment: managers (their team) and admins."""
    return can_reassign(user)


def can_edit_lead_settings(user: User) -> bool:
    return user.is_admin_role


def access_lead(user: User, lead_id: object, *, write: bool = False) -> Lead:
    """The lead if ``user`` may see it (and change it, with ``write``).

    Raises ``Http404`` when it does not exist or is not the user's to see, and
    ``PermissionDenied`` when it is visible but read-only to this user."""
    try:
        pk = int(str(lead_id))
    except (TypeError, ValueError):
        raise Http404 from None
    if not 1 <= pk <= MAX_ID:
        raise Http404
    lead = (
        leads_visible_to(user)
        .select_related("owner", "team", "campaign", "disqualify_reason", "customer")
        .filter(pk=pk)
        .first()
    )
    if lead is None:
        raise Http404
    if write and not can_change_lead(user, lead):
        raise PermissionDenied
    return lead
