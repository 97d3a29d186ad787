"""Reads of export records, scoped by ``access.export_records_visible_to``."""

from __future__ import annotations

from kehu.accounts.models import User
from kehu.core.paging import QueryPage, query_page
from kehu.customers.selectors import PageOutOfRange
from kehu.exports.access import export_records_visible_to
from kehu.exports.models import ExportRecord

PAGE_SIZE = 25


def export_record_page(user: User, *, page: int = 1) -> QueryPage[ExportRecord]:
    """One page of the export records ``user`` may see; ``PageOutOfRange``."""
    found = query_page(export_records_visible_to(user), page, PAGE_SIZE)
    if found is None:
        raise PageOutOfRange
    return found
