"""The exportable lists: each names its columns and builds, for a user and the list
page's query string, the rows that page would show — through the page's own filter
parsing and access helpers (``lists_*.py`` register them).

Rows are read in chunks keyed by id (newest first) straight from the cursor — the
queryset's own SQL and Django's converters, no model instance and no dict per row —
and held field by field (a ``Chunk``): each column turns a whole chunk into its cells
in one pass (a plain field as read, a choice through one dict lookup per cell), and
what lives in another table (phones, tags) is read with one query per chunk. A list
of a million customers is read ``CHUNK`` rows at a time: memory stays flat.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from django.core.exceptions import EmptyResultSet
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.customers.access import hides_pool_contact_data
from kehu.customers.selectors import CONTACT_DATA_MASK

CHUNK: Final = 10_000
ID_CHUNK: Final = 500  # ids per ``IN (...)`` when the rows are a given list of ids
Block = list[Sequence[Any]]  # rows given column by column: ``block[column][row]``


class Chunk:
    """Rows read together, field by field: ``chunk["name"]`` is every row's name (in
    row order); ``chunk.rows()`` the same rows as dicts, for computed columns."""

    __slots__ = ("_rows", "fields", "size")

    def __init__(self, fields: dict[str, Sequence[Any]], size: int) -> None:
        self.fields = fields
        self.size = size
        self._rows: list[dict[str, Any]] | None = None

    def __getitem__(self, name: str) -> Sequence[Any]:
        return self.fields[name]

    def rows(self) -> list[dict[str, Any]]:
        if self._rows is None:
            names = list(self.fields)
            self._rows = [
                dict(zip(names, values, strict=True))
                for values in zip(*self.fields.values(), strict=True)
            ]
        return self._rows

    def take(self, order: Sequence[int]) -> Chunk:
        """The rows at the positions ``order``, in that order."""
        fields: dict[str, Sequence[Any]] = {
            name: [values[i] for i in order] for name, values in self.fields.items()
        }
        return Chunk(fields, len(order))


_combine = dt.datetime.combine
Getter = Callable[[dict[str, Any]], Any]  # one row's cell, from the row as a dict
Cells = Callable[[Chunk], Sequence[Any]]  # a chunk's cells of one column, in row order


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    fields: tuple[str, ...]
    # Called once per export (in the export's language): what turns a chunk into the
    # column's cells.
    make: Callable[[], Cells]
    personal: bool = False  # personal data (个人信息): marked in the column picker
    contact: bool = False  # contact data: masked for pool customers where the page masks it
    default: bool = True  # ticked the first time


def plain(key: str, label: str | Promise, name: str = "", **flags: Any) -> Column:
    """A column that is one value as stored."""
    source = name or key

    def make() -> Cells:
        return lambda chunk: chunk[source]

    return Column(key, label, (source,), make, **flags)


def choice(
    key: str, label: str | Promise, choices: Sequence[tuple[str, Any]], name: str = "", **flags: Any
) -> Column:
    """A column of a choice field, written as its label."""
    source = name or key

    def make() -> Cells:
        labels = {value: str(text) for value, text in choices}

        def cells(chunk: Chunk) -> list[Any]:
            values = chunk[source]
            return list(map(labels.get, values, values))

        return cells

    return Column(key, label, (source,), make, **flags)


def user_label(key: str, label: str | Promise, prefix: str, **flags: Any) -> Column:
    """A user's name (display name, else username) through a foreign key ``prefix``."""
    display, username = f"{prefix}__display_name", f"{prefix}__username"

    def make() -> Cells:
        return lambda chunk: [
            shown or login or ""
            for shown, login in zip(chunk[display], chunk[username], strict=True)
        ]

    return Column(key, label, (display, username), make, **flags)


def local_time(key: str, label: str | Promise, name: str = "", **flags: Any) -> Column:
    """A moment in the business's time zone, without its zone (as spreadsheets take)."""
    source = name or key

    def make() -> Cells:
        zone = timezone.get_current_timezone()
        # combine(date, time) drops the zone five times faster than replace(tzinfo=None).
        return lambda chunk: [
            _combine((local := value.astimezone(zone)).date(), local.time()) if value else None
            for value in chunk[source]
        ]

    return Column(key, label, (source,), make, **flags)


def yes_no(key: str, label: str | Promise, name: str = "", **flags: Any) -> Column:
    """A yes/no field as 是 / 否 (in the export's language)."""
    source = name or key

    def make() -> Cells:
        yes, no = str(_("是")), str(_("否"))
        return lambda chunk: [yes if value else no for value in chunk[source]]

    return Column(key, label, (source,), make, **flags)


def joined(
    key: str, label: str | Promise, name: str, separator: str = "、", **flags: Any
) -> Column:
    """A list of texts another table holds (an ``ExportList.extras`` field), joined."""

    def make() -> Cells:
        return lambda chunk: [separator.join(values) for values in chunk[name]]

    return Column(key, label, (), make, **flags)


def computed(
    key: str, label: str | Promise, fields: tuple[str, ...], get: Getter, **flags: Any
) -> Column:
    """A column worked out row by row from ``fields`` (the row as a dict)."""

    def make() -> Cells:
        return lambda chunk: [get(row) for row in chunk.rows()]

    return Column(key, label, fields, make, **flags)


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


# What another table holds for a chunk's rows (their ids, in row order): field → the
# values in the same order. One query per chunk and table.
Extras = Callable[[Sequence[int]], dict[str, Sequence[Any]]]


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


def export_blocks(
    export_list: ExportList,
    user: User,
    source: Source,
    columns: Sequence[Column],
    *,
    chunk: int = CHUNK,
) -> Iterator[Block]:
    """The cells of ``columns``, newest first, a chunk of rows at a time given column
    by column — what the writers take. Pool customers' contact data masked for those
    the list page masks it for."""
    owner = export_list.pool_owner
    masking = bool(owner) and hides_pool_contact_data(user)
    names = {"pk"} | {name for c in columns for name in c.fields}
    if masking:
        names.add(owner)
    makers = [c.make() for c in columns]
    hidden = [index for index, c in enumerate(columns) if c.contact]
    mask = str(CONTACT_DATA_MASK)
    for part in _chunks(source, sorted(names), chunk):
        if export_list.extras is not None:
            part.fields.update(export_list.extras(part["pk"]))
        block: Block = [make(part) for make in makers]
        if masking and hidden:
            pool = [row for row, owner_id in enumerate(part[owner]) if owner_id is None]
            if pool:
                for index in hidden:
                    cells = list(block[index])
                    for row in pool:
                        cells[row] = mask
                    block[index] = cells
        yield block


def export_rows(
    export_list: ExportList,
    user: User,
    source: Source,
    columns: Sequence[Column],
    *,
    chunk: int = CHUNK,
) -> Iterator[list[Any]]:
    """The same cells row by row (each row a list)."""
    for block in export_blocks(export_list, user, source, columns, chunk=chunk):
        yield from map(list, zip(*block, strict=True))


def _chunks(source: Source, names: list[str], size: int) -> Iterator[Chunk]:
    queryset = source.queryset.order_by()
    if source.ids is not None:
        for start in range(0, len(source.ids), ID_CHUNK):
            part = source.ids[start : start + ID_CHUNK]
            chunk = read_fields(queryset.filter(pk__in=part), names)
            if chunk.size:
                position = {pk: row for row, pk in enumerate(chunk["pk"])}
                yield chunk.take([position[pk] for pk in part if pk in position])
        return
    last: int | None = None
    while True:
        page = queryset if last is None else queryset.filter(pk__lt=last)
        chunk = read_fields(page.order_by("-pk")[:size], names)
        if not chunk.size:
            return
        last = chunk["pk"][-1]
        yield chunk


def read_fields(queryset: QuerySet[Any], names: Sequence[str]) -> Chunk:
    """The rows of ``queryset`` (in its order) as a chunk of ``names``: the SQL
    ``values_list`` would run, its values through the same converters (text to times
    on SQLite, JSON, …) a field at a time. For a few thousand rows at most."""
    query = queryset.values_list(*names).query
    compiler = query.get_compiler(queryset.db)
    connection = compiler.connection
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return Chunk(dict.fromkeys(names, ()), 0)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _fast_times(cursor.cursor)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return Chunk(dict.fromkeys(names, ()), 0)
    values: list[Sequence[Any]] = []
    values += zip(*rows, strict=True)
    del values[compiler.col_count :]
    selected = [s[0] for s in compiler.select[: compiler.col_count]]
    for index, (converters, expression) in compiler.get_converters(selected).items():
        column = values[index]
        for convert in converters:
            column = [convert(value, expression, connection) for value in column]
        values[index] = column
    order = [*query.extra_select, *query.values_select, *query.annotation_select]
    return Chunk({name: values[order.index(name)] for name in names}, len(rows))


def _fast_times(cursor: Any) -> None:
    """Read ``timestamptz`` with psycopg's own (C) loader on this cursor. Django's
    loader is a Python subclass of it that only swaps the result's ``tzinfo`` for the
    same zone, and costs some microseconds a value (seconds in a million rows). The
    same instants; the session's zone (UTC, as Django sets it) as a ``ZoneInfo``."""
    import psycopg
    from psycopg.postgres import types
    from psycopg.pq import Format

    oid = types["timestamptz"].oid
    cursor.adapters.register_loader(oid, psycopg.adapters.get_loader(oid, Format.TEXT))
