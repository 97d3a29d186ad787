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

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection, models, transaction
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
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) >= COPY_MIN_ROWS:
            _pg_copy(cursor, model, columns, rows)
        else:
            cursor.executemany(_insert_sql(model, columns), rows)


# From this many rows PostgreSQL takes them by ``COPY``: ``executemany`` sends each row
# as its own statement (pipelined, still ~20 µs a row in the driver and the server);
# ``COPY`` streams them, about 5× faster for the import's customers, phones and search
# tokens. A few rows go as statements, which Django's query log and the tests' query
# counts see.
COPY_MIN_ROWS = 100


def _pg_copy(cursor: Any, model: type[models.Model], columns: Sequence[str], rows: Any) -> None:
    """``COPY … FROM STDIN`` of ``rows`` (values adapted by the driver, as for INSERT)."""
    quote = connection.ops.quote_name
    sql = "COPY {} ({}) FROM STDIN".format(
        quote(model._meta.db_table), ", ".join(quote(column) for column in columns)
    )
    # The driver's errors as Django's (``IntegrityError``, ``DataError``), as for INSERT.
    with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _insert_sql(model: type[models.Model], columns: Sequence[str]) -> str:
    quote = connection.ops.quote_name
    return "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(column) for column in columns),
        ", ".join(["%s"] * len(columns)),
    )


def rows_insert_returning(
    model: type[models.Model], rows: Sequence[Mapping[str, Any]], returning: Sequence[str]
) -> list[tuple[Any, ...]]:
    """``rows_insert`` that also gives back the ``returning`` columns of the new rows
    (the id, and values given for other columns), in no set order: return a key with
    the id."""
    if not rows:
        return []
    columns, params = _insert_rows(model, rows)
    return values_insert_returning(model, columns, params, returning)


def rows_insert_ids(model: type[models.Model], rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """``rows_insert`` giving back the new rows' ids in the order of ``rows`` (for a
    caller that writes their children next). PostgreSQL: the ids drawn from the
    table's sequence first, in one statement, and inserted with the rows; SQLite: the
    rows' consecutive ids (``_sqlite_insert_returning``)."""
    if not rows:
        return []
    columns, params = _insert_rows(model, rows)
    if connection.vendor != "postgresql":
        return [row[0] for row in _sqlite_insert_returning(model, columns, params, ("id",))]
    table, pk = model._meta.db_table, str(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk, len(params)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    values_insert(
        model, [pk, *columns], [(id_, *values) for id_, values in zip(ids, params, strict=True)]
    )
    return ids


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
    return _sqlite_insert_returning(model, columns, rows, returning)


def _sqlite_insert_returning(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """One ``executemany``, the ids counted back from ``last_insert_rowid()``.

    A multi-row ``INSERT … VALUES (…), (…) RETURNING`` of 500 orders took 14.5 ms where
    ``executemany`` took 10.1 (a statement of 8,000 placeholders is converted, looked
    up and bound on every call). The ids follow from SQLite's rule for a new rowid (one
    more than the largest ever used, for the AUTOINCREMENT keys Django creates) while
    this transaction holds the write lock: the rows got consecutive ids, in the order
    given. Other returned columns are the values given."""
    pk_column = model._meta.pk.column
    if pk_column in columns:
        raise ValueError("the ids are given: use values_insert")
    position = {column: at for at, column in enumerate(columns)}
    picks = [None if column == pk_column else position[column] for column in returning]
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.executemany(_insert_sql(model, columns), rows)
        if cursor.rowcount != len(rows):
            raise AssertionError(f"{cursor.rowcount} of {len(rows)} rows inserted")
        cursor.execute("SELECT last_insert_rowid()")
        last = cursor.fetchone()[0]
    ids = range(last - len(rows) + 1, last + 1)
    columns_out = [ids if at is None else [row[at] for row in rows] for at in picks]
    return list(zip(*columns_out, strict=True))


def sqlite_decimals_as_numbers() -> None:
    """Send Decimals to SQLite as numbers, not as text.

    SQLite has no decimal type: a DECIMAL column has NUMERIC affinity and stores the
    text Django sends ("12.50", its adapter is ``str``) as a REAL anyway, parsing it on
    every write, and keeps only 15 significant digits of text. ``float`` sends the
    nearest double straight away (all of the at most 14 digits of money here), and a
    number compares as a number where text would not (a text parameter against an
    expression without affinity compares as text). A batch of 500 orders binds ~6,000
    amounts: 6 ms of ~75, measured by alternating the two in one process. A NaN is
    refused (NULL), never stored as the text "NaN"."""
    import sqlite3
    from decimal import Decimal

    # Django registers its adapters when its SQLite backend is imported: after it.
    from django.db.backends.sqlite3 import base  # noqa: F401

    sqlite3.register_adapter(Decimal, float)


def where_sql(queryset: models.QuerySet[Any]) -> tuple[str, list[Any]] | None:
    """The WHERE of a queryset over one table's own columns, compiled once, for a
    bare query to reuse (``None`` when it matches nothing)."""
    query = queryset.query
    compiler = query.get_compiler(connection=connection)
    try:
        sql, params = query.where.as_sql(compiler, connection)
    except EmptyResultSet:
        return None
    except FullResultSet:
        return "1 = 1", []
    return (sql or "1 = 1"), list(params)


def select_rows(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Every row of ``sql``, as the driver gives them (a bare cursor, no converters)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
