"""The exportable lists: each names its columns and builds, for a user and the list
page's query string, the rows that page would show — through the page's own filter
parsing and access helpers (``lists_*.py`` register them).

Rows are read as ``.values()`` dicts in chunks keyed by id (newest first), never as
model instances: a list of a million customers is read a few thousand rows at a time,
with one extra query per chunk for what lives in another table (phones, tags).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.customers.access import hides_pool_contact_data
from kehu.customers.selectors import CONTACT_DATA_MASK

Getter = Callable[[dict[str, Any]], Any]
CHUNK: Final = 5_000
ID_CHUNK: Final = 500  # ids per ``IN (...)`` when the rows are a given list of ids


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    fields: tuple[str, ...]
    # Called once per export (in the export's language): the getter of a row's cell.
    make: Callable[[], Getter]
    personal: bool = False  # personal data (个人信息): marked in the column picker
    contact: bool = False  # contact data: masked for pool customers where the page masks it
    default: bool = True  # ticked the first time


def plain(key: str, label: str | Promise, name: str = "", **flags: Any) -> Column:
    """A column that is one value as stored."""
    source = name or key

    def make() -> Getter:
        return lambda row: row[source]

    return Column(key, label, (source,), make, **flags)


def choice(
    key: str, label: str | Promise, choices: Sequence[tuple[str, Any]], name: str = "", **flags: Any
) -> Column:
    """A column of a choice field, written as its label."""
    source = name or key

    def make() -> Getter:
        labels = {value: str(text) for value, text in choices}
        return lambda row: labels.get(row[source], row[source])

    return Column(key, label, (source,), make, **flags)


def user_label(key: str, label: str | Promise, prefix: str, **flags: Any) -> Column:
    """A user's name (display name, else username) through a foreign key ``prefix``."""
    display, username = f"{prefix}__display_name", f"{prefix}__username"

    def make() -> Getter:
        return lambda row: row[display] or row[username] or ""

    return Column(key, label, (display, username), make, **flags)


def local_time(key: str, label: str | Promise, name: str = "", **flags: Any) -> Column:
    """A moment in the business's time zone, without its zone (as spreadsheets take)."""
    source = name or key

    def make() -> Getter:
        zone = timezone.get_current_timezone()

        def get(row: dict[str, Any]) -> Any:
            value = row[source]
            return value.astimezone(zone).replace(tzinfo=None) if value else None

        return get

    return Column(key, label, (source,), make, **flags)


def yes_no(key: str, label: str | Promise, name: str = "", **flags: Any) -> Column:
    """A yes/no field as 是 / 否 (in the export's language)."""
    source = name or key

    def make() -> Getter:
        yes, no = str(_("是")), str(_("否"))
        return lambda row: yes if row[source] else no

    return Column(key, label, (source,), make, **flags)


def computed(
    key: str, label: str | Promise, fields: tuple[str, ...], get: Getter, **flags: Any
) -> Column:
    return Column(key, label, fields, lambda: get, **flags)


@dataclass(frozen=True)
class Source:
    """The rows of one export: a scoped, filtered queryset, and optionally the ids
    (newest first) when the page's rows are a list of ids (a search, a selection)."""

    queryset: QuerySet[Any]
    ids: list[int] | None = None
    filters: dict[str, Any] = field(default_factory=dict)  # what the record keeps

    def count(self, limit: int) -> int:
        """How many rows, counted up to ``limit`` (then ``limit``)."""
        if self.ids is not None:
            return min(len(self.ids), limit)
        return self.queryset.order_by().values("pk")[:limit].count()


Extras = Callable[[list[int]], dict[int, dict[str, Any]]]


@dataclass(frozen=True)
class ExportList:
    key: str
    label: str | Promise
    columns: Callable[[], list[Column]]
    source: Callable[[User, Mapping[str, str]], Source]
    # Who may export it, on top of the export switch: the list page's own rule.
    may_see: Callable[[User], bool] = lambda user: True
    # The values() name of the customer's owner id, when the rows are customers' or
    # theirs: pool customers' contact data is masked for those the page masks it for.
    pool_owner: str = ""
    extras: Extras | None = None  # one query per chunk for what another table holds
    sheet: str | Promise = ""
    page_url: str = ""  # the list page's URL name
    filter_keys: tuple[str, ...] = ()  # the page's query-string names carried along

    def column_map(self) -> dict[str, Column]:
        return {c.key: c for c in self.columns()}

    def pick(self, keys: Sequence[str] | None) -> list[Column]:
        """The columns named in ``keys`` (in the list's order), or the default ones."""
        columns = self.columns()
        if keys:
            wanted = set(keys)
            picked = [c for c in columns if c.key in wanted]
            if picked:
                return picked
        return [c for c in columns if c.default]


REGISTRY: dict[str, ExportList] = {}


def register(export_list: ExportList) -> ExportList:
    REGISTRY[export_list.key] = export_list
    return export_list


def export_rows(
    export_list: ExportList,
    user: User,
    source: Source,
    columns: Sequence[Column],
    *,
    chunk: int = CHUNK,
) -> Iterator[list[Any]]:
    """The rows of ``columns``, newest first, read in chunks keyed by id."""
    owner = export_list.pool_owner
    masking = bool(owner) and hides_pool_contact_data(user)
    names = {"pk"} | {name for c in columns for name in c.fields}
    if masking:
        names.add(owner)
    getters = [c.make() for c in columns]
    masked = [c.contact for c in columns]
    mask = str(CONTACT_DATA_MASK)
    for rows in _chunks(source, sorted(names), chunk):
        if export_list.extras is not None:
            more = export_list.extras([row["pk"] for row in rows])
            for row in rows:
                row.update(more.get(row["pk"], {}))
        for row in rows:
            if masking and row[owner] is None:
                yield [
                    mask if hide else get(row) for get, hide in zip(getters, masked, strict=True)
                ]
            else:
                yield [get(row) for get in getters]


def _chunks(source: Source, names: list[str], chunk: int) -> Iterator[list[dict[str, Any]]]:
    queryset = source.queryset.order_by()
    if source.ids is not None:
        for start in range(0, len(source.ids), ID_CHUNK):
            part = source.ids[start : start + ID_CHUNK]
            by_id = {r["pk"]: r for r in queryset.filter(pk__in=part).values(*names)}
            rows = [by_id[i] for i in part if i in by_id]
            if rows:
                yield rows
        return
    last: int | None = None
    while True:
        page = queryset if last is None else queryset.filter(pk__lt=last)
        rows = list(page.order_by("-pk").values(*names)[:chunk])
        if not rows:
            return
        last = rows[-1]["pk"]
        yield rows
