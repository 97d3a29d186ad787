"""Bulk generator for benchmarks: N customers with phones and search tokens, written
with bare executemany (SQLite) or COPY (PostgreSQL) in large transactions.

Uses the demo vocabularies (realistic names, places and mobiles) and the product's own
tokeniser, so what is searched is exactly what the app would have indexed.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator

from django.db import connection, transaction
from django.utils import timezone

from benchmarks.harness import sqlite_bulk_writes
from kehu.accounts.models import User
from kehu.customers.duplicates import name_key
from kehu.customers.models import Customer, CustomerPhone, SearchToken
from kehu.customers.pinyin import pinyin_sort_key
from kehu.customers.search import SearchDocument
from kehu.demo.generate import COMPANY_SHARE, POOL_SHARE, Generator

CHUNK = 50_000


def _customer_columns() -> list[str]:
    return [str(f.column) for f in Customer._meta.concrete_fields if f.column != "id"]


def _rows(gen: Generator, n: int, owners: list[User], now: dt.datetime) -> Iterator[tuple]:
    """(customer values..., phones, contact-free search document fields)."""
    rng = gen.rng
    for _ in range(n):
        place = gen.place()
        company = rng.random() < COMPANY_SHARE
        if company:
            name, industry = gen.company_name(place)
        else:
            name, industry = gen.person_name(), ""
        owner = None if rng.random() < POOL_SHARE else rng.choice(owners)
        phones = [gen.mobile() for _ in range(1 if rng.random() < 0.85 else 2)]
        yield name, company, industry, place, owner, phones


def bulk_load(n: int, *, seed: int, owners: list[User], progress: bool = True) -> dict[str, float]:
    """Append ``n`` customers; returns timings."""
    with sqlite_bulk_writes():
        return _bulk_load(n, seed=seed, owners=owners, progress=progress)


def _bulk_load(n: int, *, seed: int, owners: list[User], progress: bool) -> dict[str, float]:
    gen = Generator(seed)
    now = timezone.now()
    columns = _customer_columns()
    table = Customer._meta.db_table
    started = time.perf_counter()
    token_rows = 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        next_id = cursor.fetchone()[0] + 1
    done = 0
    while done < n:
        size = min(CHUNK, n - done)
        customers: list[tuple] = []
        phones: list[tuple] = []
        tokens: list[tuple] = []
        for name, company, industry, place, owner, numbers in _rows(gen, size, owners, now):
            cid = next_id
            next_id += 1
            values = {
                "id": cid,
                "kind": "company" if company else "person",
                "name": name,
                "name_pinyin": pinyin_sort_key(name, person=not company),
                "name_key": name_key(name, "company" if company else "person", place.city),
                "email": "",
                "wechat_id": "",
                "province": place.province,
                "city": place.city,
                "district": place.district,
                "address": "",
                "industry": industry,
                "company_size": "",
                "source_channel": "website",
                "gender": "",
                "birthday": None,
                "birthday_is_lunar": False,
                "income_band": "",
                "interests": "",
                "notes": "",
                "custom_fields": json.dumps({}),
                "owner_id": owner.pk if owner else None,
                "team_id": owner.team_id if owner else None,
                "created_by_id": None,
                "updated_by_id": None,
                "deleted_at": None,
                "deleted_by_id": None,
                "merged_into_id": None,
                "source": "",
                "external_id": "",
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "claimed_at": now if owner else None,
                "last_contact_at": None,
            }
            customers.append(tuple(values[c] for c in ["id", *columns]))
            phones.extend((cid, p, "", i == 0) for i, p in enumerate(numbers))
            doc = SearchDocument(
                customer_id=cid, name=name, kind=values["kind"], phones=tuple(numbers)
            )
            tokens.extend((t, cid) for t in doc.tokens())
        _write(table, ["id", *columns], customers)
        _write(
            CustomerPhone._meta.db_table, ["customer_id", "number", "label", "is_primary"], phones
        )
        _write(SearchToken._meta.db_table, ["token", "customer_id"], tokens)
        token_rows += len(tokens)
        done += size
        if progress:
            rate = done / (time.perf_counter() - started)
            print(f"  loaded {done:,}/{n:,} customers ({rate:,.0f}/s)", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT MAX(id) FROM {table}))"
            )
    with connection.cursor() as cursor:
        # What autovacuum does to a live database after a bulk load: statistics, and
        # on PostgreSQL the visibility map that index-only scans need.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {"load_seconds": time.perf_counter() - started, "token_rows": token_rows}


def _write(table: str, columns: list[str], rows: list[tuple]) -> None:
    if not rows:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
