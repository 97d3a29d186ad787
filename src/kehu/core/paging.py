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
