"""What every page of a list offers its pager (``templates/_pager.html``)."""

from __future__ import annotations


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
