"""Who may import, and see which imports.

Whoever may create customers imports (admins, managers, salespeople); service and
analysts do not. A salesperson imports into their own book or the pool; choosing
another owner (a user, a team, a column) is for those who may reassign customers
(managers and admins); "create anyway" for duplicates and undo are admins'. An admin
sees every import, everyone else their own; another's import answers 404.
(The issue lets salespeople import into the pool too; the customer services do not let
them create pool customers, and the import follows the services.)
"""

from __future__ import annotations

from django.http import Http404

from kehu.accounts.models import User
from kehu.customers.access import can_create, can_reassign
from kehu.imports.models import DuplicatePolicy, ImportJob, OwnerRule


def can_import(user: User) -> bool:
    return can_create(user) and not user.is_read_only


def can_undo(user: User) -> bool:
    return user.is_admin_role


def owner_rules_for(user: User) -> list[str]:
    """The customer services let a salesperson create customers only for themselves
    (``_owner_check``: putting one in the pool is reassigning), so the pool is offered
    to those who may reassign."""
    if can_reassign(user):
        return list(OwnerRule.values)
    return [OwnerRule.IMPORTER]


def policies_for(user: User) -> list[str]:
    if user.is_admin_role:
        return list(DuplicatePolicy.values)
    return [p for p in DuplicatePolicy.values if p != DuplicatePolicy.CREATE]


def imports_visible_to(user: User):  # type: ignore[no-untyped-def]
    jobs = ImportJob.objects.select_related("user")
    if not user.is_active:
        return jobs.none()
    if user.is_admin_role:
        return jobs
    return jobs.filter(user=user)


def access_import(user: User, job_id: object) -> ImportJob:
    """The import if ``user`` may see it, else ``Http404`` (as if it did not exist)."""
    if not can_import(user):
        raise Http404
    try:
        pk = int(str(job_id))
    except (TypeError, ValueError):
        raise Http404 from None
    job = imports_visible_to(user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job
