"""Who may see and change playbooks and runs.

==========  ===================  ===================  =============================
role        playbooks, reports   create, edit,        a customer's runs (page card,
                                 start, stop          API)
==========  ===================  ===================  =============================
admin       yes                  yes                  every customer's
manager     yes                  yes (their team's    the customers they see
                                 customers)
analyst     yes                  no                   every customer's (read)
sales       no                   no                   their own customers'
service     no                   no                   every customer's (read)
==========  ===================  ===================  =============================

A playbook's report is aggregates (no names), read by the roles of the value
dashboard. A run follows its customer: an id the user may not see answers 404, like
one that does not exist. A role refused a page answers 403 before any id is read.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from kehu.accounts.models import Role, User
from kehu.customers.access import can_write, visibility_q
from kehu.customers.models import Customer
from kehu.retention.models import Playbook, PlaybookRun
from kehu.value.access import can_view_dashboard

MAX_ID = 2**63 - 1


def can_view_playbooks(user: User) -> bool:
    return can_view_dashboard(user)


def can_edit_playbooks(user: User) -> bool:
    return user.is_active and (user.is_admin_role or user.role == Role.MANAGER)


def can_start_for(user: User, customer: Customer) -> bool:
    """Start or stop a playbook for ``customer`` by hand."""
    return can_edit_playbooks(user) and can_write(user, customer)


def _pk(value: object) -> int:
    try:
        pk = int(str(value))
    except (TypeError, ValueError):
        raise Http404 from None
    if not 1 <= pk <= MAX_ID:
        raise Http404
    return pk


def access_playbooks(user: User, *, write: bool = False) -> None:
    if not (can_edit_playbooks(user) if write else can_view_playbooks(user)):
        raise PermissionDenied


def access_playbook(user: User, playbook_id: object, *, write: bool = False) -> Playbook:
    """The playbook (``PermissionDenied`` for a role that may not, before the id is
    read; ``Http404`` for no such playbook)."""
    access_playbooks(user, write=write)
    playbook = Playbook.objects.filter(pk=_pk(playbook_id)).first()
    if playbook is None:
        raise Http404
    return playbook


def access_run(user: User, run_id: object, *, write: bool = False) -> PlaybookRun:
    """A run whose customer ``user`` sees (``Http404`` otherwise); with ``write``, one
    the user may stop (``PermissionDenied`` otherwise)."""
    run = (
        PlaybookRun.objects.filter(
            pk=_pk(run_id),
            customer__in=Customer.objects.filter(visibility_q(user), deleted_at__isnull=True),
        )
        .select_related("playbook", "customer")
        .first()
    )
    if run is None:
        raise Http404
    if write and not can_start_for(user, run.customer):
        raise PermissionDenied
    return run
