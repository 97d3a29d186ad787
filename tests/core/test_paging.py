"""Every list page offers previous/next the same way (the shared pager reads them)."""

from __future__ import annotations

import datetime as dt

from kehu.care.selectors import AgendaPage
from kehu.customers.selectors import CustomerPage
from kehu.orders.selectors import OrderPage


def test_middle_page_has_both_neighbours():
    agenda = AgendaPage(
        day=dt.date(2026, 2, 17), rows=[], count=45, page=2, page_size=20, stored=True
    )
    assert agenda.num_pages == 3
    assert agenda.has_previous and agenda.has_next  # the agenda had no "previous" before


def test_first_and_last_pages():
    for cls in (CustomerPage, OrderPage):
        fields = cls.__dataclass_fields__
        assert "num_pages" in fields and fields["num_pages"].default == 1
    agenda = AgendaPage(
        day=dt.date(2026, 1, 1), rows=[], count=5, page=1, page_size=20, stored=False
    )
    assert not agenda.has_previous and not agenda.has_next
