"""Reads of imports, scoped by ``access.imports_visible_to``."""

from __future__ import annotations

from dataclasses import dataclass

from kehu.accounts.models import User
from kehu.core.paging import PageNav, pages_for
from kehu.customers.selectors import PageOutOfRange
from kehu.imports.access import imports_visible_to
from kehu.imports.models import ImportJob

PAGE_SIZE = 25


@dataclass
class ImportPage(PageNav):
    items: list[ImportJob]
    page: int
    count: int
    num_pages: int = 1  # type: ignore[assignment]


def import_page(user: User, *, page: int = 1) -> ImportPage:
    """One page of the imports ``user`` may see, newest first; ``PageOutOfRange``."""
    jobs = imports_visible_to(user)
    count = jobs.count()
    num_pages = pages_for(count, PAGE_SIZE, page)
    if page < 1 or page > num_pages:
        raise PageOutOfRange
    offset = (page - 1) * PAGE_SIZE
    return ImportPage(list(jobs[offset : offset + PAGE_SIZE]), page, count, num_pages)
