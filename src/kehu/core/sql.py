"""SQL pieces the ORM builds slowly.

``pk__in=[...]`` with hundreds of values prepares and renders every value, one
placeholder each, on every query: for a batch of 500 orders that costs more than
running the query. ``values_in`` passes the whole list as one parameter, expanded
by the database (``json_each`` on SQLite, ``unnest`` on PostgreSQL), and reads the
same index.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from operator import itemgetter
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.utils import timezone

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_PG_ARRAY = {"int": "bigint[]", "text": "text[]"}


T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in slices of at most ``size`` (for statements with id lists)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def values_in(values: Sequence[int] | Sequence[str], kind: str) -> RawSQL:
    """A subquery of ``values`` for ``field__in=``; ``kind`` is ``"int"`` or ``"text"``.
    Integers outside 64 bits match nothing, as no row holds them."""
    items: list[Any] = list(values)
    if kind == "int":
        items = [v for v in items if _INT64_MIN <= int(v) <= _INT64_MAX]
    if connection.vendor == "postgresql":
        return RawSQL(f"SELECT unnest(%s::{_PG_ARRAY[kind]})", [items])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(items)])


def datetime_adapter() -> Callable[[dt.datetime], Any]:
    """``connection.ops.adapt_datetimefield_value`` for many values at once.

    On SQLite (times stored as UTC text) an aware datetime becomes its UTC text
    without Django's per-value checks; anything else takes Django's path."""
    adapt = connection.ops.adapt_datetimefield_value
    if connection.vendor != "sqlite" or connection.timezone_name != "UTC":
        return adapt

    def utc_text(value: dt.datetime) -> Any:
        if value.tzinfo is dt.UTC:
            return str(value.replace(tzinfo=None))
        if isinstance(value, dt.datetime) and value.utcoffset() is not None:
            # What Django does (make_naive in UTC), without its per-value checks.
            return str(value.astimezone(dt.UTC).replace(tzinfo=None))
        return adapt(value)

    return utc_text


# Values the driver takes as they are (Decimals already rounded to their places).
PASSED_AS_THEY_ARE = (models.CharField, models.IntegerField, models.DecimalField, models.ForeignKey)


def _insert_rows(
    model: type[models.Model], rows: Sequence[Mapping[str, Any]]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The columns of ``model`` and the rows' values in their order, ready for the driver."""
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults: dict[str, Any] = {}
    adapters: list[tuple[str, Callable[[Any], Any]]] = []
    for f in fields:
        adapt: Callable[[Any], Any] | None = None
        if isinstance(f, models.DateTimeField):
            adapt = datetime_adapter()
        elif not isinstance(f, PASSED_AS_THEY_ARE):
            adapt = partial(f.get_db_prep_save, connection=connection)
        stamped = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        default = now if stamped else f.get_default()
        if adapt is not None:
            adapters.append((f.attname, adapt))
            if default is not None:
                default = adapt(default)
        defaults[f.attname] = default
    names = [f.attname for f in fields]
    in_order = itemgetter(*names) if len(names) > 1 else (lambda values: (values[names[0]],))
    params = []
    for row in rows:
        values = {**defaults, **row}
        for name, adapt in adapters:
            if name in row and row[name] is not None:
                values[name] = adapt(row[name])
        params.append(in_order(values))
    return [str(f.column) for f in fields], params


def rows_insert(model: type[models.Model], rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT ``rows`` (values by attribute name) with one ``executemany``.

    The batch paths' write (orders, lifecycle changes). ``bulk_create`` would build a
    model instance per row and prepare every field of it again, which costs more than
    the database's own insert;
    these values are already checked and normalised (Decimals rounded, times aware),
    so they go to the driver as they are, datetimes adapted for the database. A
    field a row leaves out takes its model default; ``auto_now`` fields take now.
    """
    if not rows:
        return
    columns, params = _insert_rows(model, rows)
    values_insert(model, columns, params)


def values_insert(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """``rows_insert`` for rows already in the database's form: tuples of ``columns``
    values, adapted as ``get_db_prep_save`` would, every column without a database
    default given. For a batch path that builds its rows itself."""
    if not rows:
        return
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(column) for column in columns),
        ", ".join(["%s"] * len(columns)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def rows_insert_returning(
    model: type[models.Model], rows: Sequence[Mapping[str, Any]], returning: Sequence[str]
) -> list[tuple[Any, ...]]:
    """``rows_insert`` that also gives back the ``returning`` columns of the new rows
    (multi-row ``INSERT … RETURNING``: PostgreSQL, SQLite 3.35+), in no set order —
    return a key with the id."""
    if not rows:
        return []
    columns, params = _insert_rows(model, rows)
    return values_insert_returning(model, columns, params, returning)


def _pg_array_type(field: models.Field[Any, Any]) -> str:
    """The array type to send a column's values as. Text goes as ``text[]``: a cast
    to ``varchar(n)`` would cut an over-long value silently, where the insert itself
    refuses it."""
    if isinstance(field, models.CharField):
        return "text[]"
    return f"{field.db_type(connection)}[]"


def values_insert_returning(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """``rows_insert_returning`` for rows already in the database's form: tuples of
    ``columns`` values, adapted as ``get_db_prep_save`` would (no defaults filled in).
    For a caller that writes many rows sharing a few values (the lifecycle engine's
    changes share their time and, mostly, their facts): each is adapted once."""
    if not rows:
        return []
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        # One array per column: a statement with thousands of placeholders costs
        # PostgreSQL more to parse and plan than to insert 200 rows.
        field_of = {f.column: f for f in model._meta.concrete_fields}
        arrays = ", ".join(f"%s::{_pg_array_type(field_of[column])}" for column in columns)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO {} ({}) SELECT * FROM unnest({}) RETURNING {}".format(
                    quote(model._meta.db_table),
                    ", ".join(quote(column) for column in columns),
                    arrays,
                    ", ".join(quote(column) for column in returning),
                ),
                [list(column) for column in zip(*rows, strict=True)],
            )
            return cursor.fetchall()
    one = "({})".format(", ".join(["%s"] * len(columns)))
    per_statement = max(1, 30_000 // len(columns))  # SQLite's limit of 32,766 variables
    found: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for part in chunks(rows, per_statement):
            cursor.execute(
                "INSERT INTO {} ({}) VALUES {} RETURNING {}".format(
                    quote(model._meta.db_table),
                    ", ".join(quote(column) for column in columns),
                    ", ".join([one] * len(part)),
                    ", ".join(quote(column) for column in returning),
                ),
                [value for row in part for value in row],
            )
            found += cursor.fetchall()
    return found


def fetch_rows(queryset: models.QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a ``values_list`` queryset, read with a bare cursor.

    Skips the ORM's per-row iteration and converters: only for columns the driver
    already gives as Python wants them (integers, text). For the batch paths' lookups
    of hundreds of rows, the ORM's iteration cost more than the query."""
    sql, params = queryset.query.sql_with_params()
    return select_rows(sql, params)


def select_rows(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Every row of ``sql``, as the driver gives them (a bare cursor, no converters)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
