"""Who may do what with surveys. Every survey view and endpoint goes through here.

==========  ================  ===============================  =============
role        edit templates    send / see invitations, results  read reports
==========  ================  ===============================  =============
admin       yes               every customer                   yes
manager     yes               the customers they see           yes
sales       no                own customers (and the pool)     no
service     no                every customer                   no
analyst     no                no sending; sees results         yes
==========  ================  ===============================  =============

Reports and results only count customers the user may see. An id the user may not
see answers 404, exactly like an id that does not exist.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from kehu.accounts.models import Role, User
from kehu.customers.access import can_log_interaction, visibility_q
from kehu.customers.models import Customer
from kehu.customers.search import q_through
from kehu.surveys.models import Invitation, Survey


def can_edit_surveys(user: User) -> bool:
    return user.is_active and (user.is_admin_role or user.role == Role.MANAGER)


def can_read_reports(user: User) -> bool:
    return user.is_active and (user.is_admin_role or user.role in (Role.MANAGER, Role.ANALYST))


def can_send_surveys(user: User) -> bool:
    """Send at all (to customers the user may log interactions with)."""
    return user.is_active and user.role != Role.ANALYST


def can_send_to(user: User, customer: Customer) -> bool:
    return can_send_surveys(user) and can_log_interaction(user, customer)


def _id(value: object) -> int:
    try:
        pk = int(str(value))
    except (TypeError, ValueError):
        raise Http404 from None
    if not 1 <= pk <= 2**63 - 1:
        raise Http404
    return pk


def access_survey(user: User, survey_id: object, *, edit: bool = False) -> Survey:
    """A survey template: every active user sees them (to send them); only admins and
    managers change them (``PermissionDenied``)."""
    if not user.is_active:
        raise Http404
    survey = Survey.objects.filter(pk=_id(survey_id)).first()
    if survey is None:
        raise Http404
    if edit and not can_edit_surveys(user):
        raise PermissionDenied
    return survey


def access_report(user: User, survey_id: object) -> Survey:
    survey = access_survey(user, survey_id)
    if not can_read_reports(user):
        raise PermissionDenied
    return survey


def invitations_visible_to(user: User) -> QuerySet[Invitation]:
    if not user.is_active:
        return Invitation.objects.none()
    rows = Invitation.objects.filter(customer__deleted_at__isnull=True)
    if user.sees_all_customers:
        return rows
    return rows.filter(q_through(visibility_q(user), "customer__"))


def access_invitation(user: User, invitation_id: object) -> Invitation:
    invitation = (
        invitations_visible_to(user)
        .select_related("survey", "customer")
        .filter(pk=_id(invitation_id))
        .first()
    )
    if invitation is None:
        raise Http404
    return invitation
