"""Who may see and handle which complaint and incident. Every view and endpoint goes
through here.

========  ===============================================  ===========================
role      sees complaints of                               may handle (move, change)
========  ===============================================  ===========================
admin     every customer                                   every complaint
service   every customer                                   every complaint
manager   the team's customers and the public pool         those complaints
sales     own customers (may log complaints on them)       none
analyst   every customer                                   none (read-only)
========  ===============================================  ===========================

Incidents (危机): everyone may read them (the complaints listed are only the ones the
reader may see); admins and the service team run them. A complaint of a customer the
user cannot see answers 404, like one that does not exist.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from kehu.accounts.models import Role, User
from kehu.complaints.models import Complaint, Incident
from kehu.customers.access import NOTHING, can_log_interaction, can_write, visibility_q
from kehu.customers.models import Customer
from kehu.orders.access import prefixed

MAX_ID = 2**63 - 1


def complaint_visibility_q(user: User) -> Q:
    """A filter over Complaint fields: the complaints ``user`` may see."""
    if not user.is_active:
        return NOTHING
    alive = Q(customer__deleted_at__isnull=True)
    if user.sees_all_customers:
        return alive
    if user.role == Role.MANAGER:
        return prefixed(visibility_q(user), "customer__") & alive
    if user.role == Role.SALES:
        return Q(customer__owner_id=user.pk) & alive
    return NOTHING


def complaints_visible_to(user: User) -> QuerySet[Complaint]:
    return Complaint.objects.filter(complaint_visibility_q(user))


def can_see_complaints_of(user: User, customer: Customer) -> bool:
    """Whether the customer's complaints are the user's to see (the customer page's
    card); the customer itself must be visible to the user."""
    if not user.is_active or customer.deleted_at is not None:
        return False
    if user.sees_all_customers or user.role == Role.MANAGER:
        return True
    return user.role == Role.SALES and customer.owner_id == user.pk


def handles_all(user: User) -> bool:
    """Admins and the service team (客服) handle every complaint."""
    return user.is_active and (user.is_admin_role or user.role == Role.SERVICE)


def can_handle_customer(user: User, customer: Customer) -> bool:
    if not user.is_active or user.is_read_only:
        return False
    if handles_all(user):
        return True
    return user.role == Role.MANAGER and can_write(user, customer)


def can_handle(user: User, complaint: Complaint) -> bool:
    """Move, change, give feedback on, close or reopen the complaint."""
    return complaint.customer.deleted_at is None and can_handle_customer(user, complaint.customer)


def can_log_complaint(user: User, customer: Customer) -> bool:
    """Record a new complaint: the service team for every customer, others for the
    customers they may change. Analysts never."""
    return can_log_interaction(user, customer)


def can_manage_incidents(user: User) -> bool:
    return handles_all(user)


def _pk(value: object) -> int:
    try:
        pk = int(str(value))
    except (TypeError, ValueError):
        raise Http404 from None
    if not 1 <= pk <= MAX_ID:
        raise Http404
    return pk


def access_complaint(user: User, complaint_id: object, *, write: bool = False) -> Complaint:
    """The complaint if ``user`` may see it (and handle it, with ``write``).

    ``Http404`` when it does not exist or is not the user's to see,
    ``PermissionDenied`` when it is visible but not the user's to handle.
    """
    pk = _pk(complaint_id)
    complaint = (
        complaints_visible_to(user)
        .select_related(
            "customer",
            "customer__owner",
            "customer__team",
            "handler",
            "order",
            "product",
            "incident",
        )
        .filter(pk=pk)
        .first()
    )
    if complaint is None:
        raise Http404
    if write and not can_handle(user, complaint):
        raise PermissionDenied
    return complaint


def access_incident(user: User, incident_id: object, *, write: bool = False) -> Incident:
    pk = _pk(incident_id)
    if not user.is_active:
        raise Http404
    incident = Incident.objects.filter(pk=pk).first()
    if incident is None:
        raise Http404
    if write and not can_manage_incidents(user):
        raise PermissionDenied
    return incident
