"""Who may export (导出权限). Every export surface — the buttons, the pages, the
downloads, the API, vCards — goes through ``access_export``.

An admin switches exporting off per role on the settings page (``ExportRoleSetting``);
a refused role gets 403 everywhere and sees no export button. On top of that, a list
is exported only by those its page lets see it (``ExportList.may_see``), and only the
rows the page shows them. An export record is its exporter's; admins see every one.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from kehu.accounts.models import User
from kehu.exports.models import ExportRecord, ExportRoleSetting
from kehu.exports.registry import ExportList


def role_may_export(role: str) -> bool:
    setting = ExportRoleSetting.objects.filter(role=role).values_list("enabled", flat=True)
    return next(iter(setting), True)


def can_export(user: User) -> bool:
    """Whether ``user``'s role may export; asked once per user object (a request's),
    however many buttons a page shows."""
    if not user.is_active:
        return False
    memo = getattr(user, "_kehu_may_export", None)
    if memo is None or memo[0] != user.role:
        memo = (user.role, role_may_export(user.role))
        user._kehu_may_export = memo  # type: ignore[attr-defined]
    return bool(memo[1])


def can_export_list(user: User, export_list: ExportList) -> bool:
    return can_export(user) and export_list.may_see(user)


def access_export(user: User, export_list: ExportList | None = None) -> None:
    """Raise ``PermissionDenied`` unless ``user`` may export (``export_list``)."""
    if not can_export(user):
        raise PermissionDenied
    if export_list is not None and not export_list.may_see(user):
        raise PermissionDenied


def can_admin_exports(user: User) -> bool:
    return bool(user.is_admin_role)


def access_export_admin(user: User) -> None:
    if not can_admin_exports(user):
        raise PermissionDenied


def export_records_visible_to(user: User) -> QuerySet[ExportRecord]:
    records = ExportRecord.objects.select_related("user")
    return records if user.is_admin_role else records.filter(user=user)


def access_export_record(user: User, record_id: object) -> ExportRecord:
    """The record if it is ``user``'s (or ``user`` is an admin); else ``Http404``."""
    try:
        pk = int(str(record_id))
    except (TypeError, ValueError):
        raise Http404 from None
    records = ExportRecord.objects.select_related("user")
    if not user.is_admin_role:
        records = records.filter(user=user)
    record = records.filter(pk=pk).first()
    if record is None:
        raise Http404
    return record
