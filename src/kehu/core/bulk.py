"""Bulk writes for generated data (the demo, benchmarks): plain ``executemany`` on
SQLite and ``COPY`` on PostgreSQL, several times faster than ``bulk_create``.

Only for data nobody else is writing at the same time (a fresh demo database, a
benchmark): the rows skip model ``save()`` and signals, and ids are given by the
caller (``next_ids``) so related rows can point at them without a round trip.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models, transaction


def next_id(model: type[models.Model]) -> int:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        row = cursor.fetchone()
    return int(row[0]) + 1


def columns_of(model: type[models.Model], *, with_id: bool = True) -> list[models.Field[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if with_id or not f.primary_key  # type: ignore[attr-defined]
    ]


def rows_of(
    objects: Iterable[models.Model], fields: Sequence[models.Field[Any, Any]]
) -> list[tuple[Any, ...]]:
    """Column values ready for the database, as ``save()`` would prepare them
    (``auto_now`` timestamps included). Plain text, number and key columns pass as
    they are; only the types the backend must adapt go through the field."""
    steps = []
    for f in fields:
        adapt = isinstance(
            f, (models.DateField, models.JSONField, models.DecimalField, models.UUIDField)
        )
        auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        steps.append((f, f.attname, adapt, auto))
    rows = []
    for obj in objects:
        row = []
        for f, attname, adapt, auto in steps:
            value = f.pre_save(obj, True) if auto else getattr(obj, attname)
            row.append(f.get_db_prep_save(value, connection) if adapt else value)
        rows.append(tuple(row))
    return rows


def bulk_insert(table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> int:
    if not rows:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
    return len(rows)


def insert_objects(
    model: type[models.Model], objects: Sequence[models.Model], *, with_id: bool = True
) -> int:
    """Insert model instances (with their ``id`` set when ``with_id``)."""
    fields = columns_of(model, with_id=with_id)
    return bulk_insert(
        model._meta.db_table, [str(f.column) for f in fields], rows_of(objects, fields)
    )


def sequences_reset(*models_: type[models.Model]) -> None:
    """After inserting explicit ids: PostgreSQL's sequences continue after them."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models_:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )
