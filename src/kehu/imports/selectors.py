"""Reads of imports, scoped by ``access.imports_visible_to``."""

from __future__ import annotations

from kehu.accounts.models import User
from kehu.core.paging import QueryPage, query_page
from kehu.customers.selectors import PageOutOfRange
from kehu.imports.access import imports_visible_to
from kehu.imports.models import ImportJob

PAGE_SIZE = 25


def import_page(user: User, *, page: int = 1) -> QueryPage[ImportJob]:
    """One page of the imports ``user`` may see, newest first; ``PageOutOfRange``."""
    found = query_page(imports_visible_to(user), page, PAGE_SIZE)
    if found is None:
        raise PageOutOfRange
    return found
