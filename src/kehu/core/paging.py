"""What every page of a list offers its pager (``templates/_pager.html``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet

T = TypeVar("T")


class PageNav:
    """Previous / next for a page object with ``page`` (1-based) and ``num_pages``."""

    page: int

    @property
    def num_pages(self) -> int:  # a field or a property of the page class
        raise NotImplementedError

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def pages_for(count: int, page_size: int, page: int, *, capped: bool = False) -> int:
    """How many pages a list of ``count`` rows has. A count stopped at a cap ("N+")
    knows only a lower bound: there is always at least one page after the current one,
    so the pager can walk past the cap."""
    num_pages = max(1, -(-count // page_size))
    if capped:
        num_pages = max(num_pages, page + 1)
    return num_pages


@dataclass
class QueryPage(PageNav, Generic[T]):
    """One page of a queryset's rows, counted."""

    items: list[T]
    page: int
    count: int
    num_pages: int = 1  # type: ignore[assignment]


def query_page(rows: QuerySet[Any], page: int, page_size: int) -> QueryPage[Any] | None:
    """Page ``page`` (1-based) of ``rows`` in their order; None past the last page (the
    caller answers as its list does, e.g. ``PageOutOfRange``)."""
    count = rows.count()
    num_pages = pages_for(count, page_size, page)
    if page < 1 or page > num_pages:
        return None
    offset = (page - 1) * page_size
    return QueryPage(list(rows[offset : offset + page_size]), page, count, num_pages)
