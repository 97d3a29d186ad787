"""Reads of export records, scoped by ``access.export_records_visible_to``."""

from __future__ import annotations

from dataclasses import dataclass

from kehu.accounts.models import User
from kehu.core.paging import PageNav, pages_for
from kehu.customers.selectors import PageOutOfRange
from kehu.exports.access import export_records_visible_to
from kehu.exports.models import ExportRecord

PAGE_SIZE = 25


@dataclass
class RecordPage(PageNav):
    items: list[ExportRecord]
    page: int
    count: int
    num_pages: int = 1  # type: ignore[assignment]


def export_record_page(user: User, *, page: int = 1) -> RecordPage:
    records = export_records_visible_to(user)
    count = records.count()
    num_pages = pages_for(count, PAGE_SIZE, page)
    if page < 1 or page > num_pages:
        raise PageOutOfRange
    offset = (page - 1) * PAGE_SIZE
    return RecordPage(list(records[offset : offset + PAGE_SIZE]), page, count, num_pages)
