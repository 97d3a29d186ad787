"""Who may see and record which exit, and who edits the taxonomy and settings.

=========  ==================================  ===========================  ============
role       sees exits (records, analysis,      records / explains exits     reasons and
           win-back list) of                                                settings
=========  ==================================  ===========================  ============
admin      every customer                      every customer               yes
manager    the team's customers and the pool   those customers              no
sales      own customers and the pool          own customers                no
service    every customer                      none                         no
analyst    every customer                      none (read-only)             no
=========  ==================================  ===========================  ============

An exit follows its customer: an exit of a customer the user cannot see answers 404,
like one that does not exist. The taxonomy and settings pages refuse others with 403,
whatever the id.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from kehu.accounts.models import User
from kehu.customers.access import can_write, visibility_q
from kehu.customers.models import Customer
from kehu.customers.search import q_through
from kehu.exits.models import ExitReason, ExitRecord

MAX_ID = 2**63 - 1


def exit_visibility_q(user: User) -> Q:
    """A filter over ExitRecord fields: the exits ``user`` may see."""
    return q_through(visibility_q(user), "customer__") & Q(customer__deleted_at__isnull=True)


def exits_visible_to(user: User) -> QuerySet[ExitRecord]:
    return ExitRecord.objects.filter(exit_visibility_q(user))


def exits_counted_for(user: User) -> QuerySet[ExitRecord]:
    """``exits_visible_to`` for the reports: the same rows, read without a join to the
    customers where the user sees every customer (only the few deleted customers are
    left out, by their ids)."""
    if user.is_active and user.sees_all_customers:
        deleted = Customer.objects.filter(deleted_at__isnull=False).values("pk")
        return ExitRecord.objects.exclude(customer_id__in=deleted)
    return exits_visible_to(user)


def can_record_exit(user: User, customer: Customer) -> bool:
    """Record a customer's exit, or explain it (reason, details, refunds)."""
    return customer.deleted_at is None and can_write(user, customer)


def can_edit_reasons(user: User) -> bool:
    return bool(user.is_admin_role)


def can_edit_settings(user: User) -> bool:
    return bool(user.is_admin_role)


def _pk(value: object) -> int:
    try:
        pk = int(str(value))
    except (TypeError, ValueError):
        raise Http404 from None
    if not 1 <= pk <= MAX_ID:
        raise Http404
    return pk


def access_exit(user: User, exit_id: object, *, write: bool = False) -> ExitRecord:
    """The exit if ``user`` may see it (and explain it, with ``write``): ``Http404``
    when it does not exist or is not the user's to see, ``PermissionDenied`` when it is
    visible but not the user's to change."""
    pk = _pk(exit_id)
    record = (
        exits_visible_to(user)
        .select_related("customer", "customer__owner", "reason", "owner", "team", "created_by")
        .filter(pk=pk)
        .first()
    )
    if record is None:
        raise Http404
    if write and not can_record_exit(user, record.customer):
        raise PermissionDenied
    return record


def access_reasons(user: User) -> None:
    if not can_edit_reasons(user):
        raise PermissionDenied


def access_reason(user: User, reason_id: object) -> ExitReason:
    access_reasons(user)
    reason = ExitReason.objects.filter(pk=_pk(reason_id)).first()
    if reason is None:
        raise Http404
    return reason


def access_settings(user: User) -> None:
    if not can_edit_settings(user):
        raise PermissionDenied
