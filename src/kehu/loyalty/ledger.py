"""The ledger's primitives: members found or created, locked, and points added or
taken oldest-expiring first. Callers hold the transaction; a member's row is locked
(``select_for_update``) before its balance changes, so concurrent redemptions queue.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from kehu.core.sql import datetime_adapter, values_in
from kehu.loyalty.models import Level, LevelBasis, Member, PointEntry

# No 0/O, 1/I/L: a code read out on the phone.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def referral_code_new() -> str:
    # token_bytes once, not secrets.choice per letter (a batch makes hundreds of codes).
    return "".join(CODE_ALPHABET[b % len(CODE_ALPHABET)] for b in secrets.token_bytes(CODE_LENGTH))


def expiry_for(at: dt.datetime) -> dt.datetime | None:
    """End of the year ``KEHU_LOYALTY_EXPIRY_YEARS`` after ``at``'s year (business
    time zone), as the first instant of the next year; ``None``: never."""
    years = int(settings.KEHU_LOYALTY_EXPIRY_YEARS)
    if years <= 0:
        return None
    local = timezone.localtime(at)
    return dt.datetime(local.year + years + 1, 1, 1, tzinfo=local.tzinfo)


def members_ensure(customer_ids: Iterable[int], now: dt.datetime) -> None:
    """A member row for each customer that has none (one statement; a row another
    transaction inserted meanwhile is left as it is)."""
    ids = sorted(set(customer_ids))
    if not ids:
        return
    existing = set(
        Member.objects.filter(customer_id__in=values_in(ids, "int")).values_list(
            "customer_id", flat=True
        )
    )
    _members_insert([pk for pk in ids if pk not in existing], now)


def _members_insert(missing: list[int], now: dt.datetime) -> None:
    if not missing:
        return
    table = Member._meta.db_table
    when = datetime_adapter()(now)
    sql = (
        f"INSERT INTO {table} (customer_id, balance, owed, points_12m, spend_12m, "
        "earned_total, referral_code, joined_at, updated_at) "
        "VALUES (%s, 0, 0, 0, 0, 0, %s, %s, %s) ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(pk, referral_code_new(), when, when) for pk in missing])


@dataclass(slots=True)
class Kept:
    """A member's kept figures as the batch paths read and write them (no model
    instance per row: a batch of 500 builds none)."""

    customer_id: int
    balance: int
    owed: int
    points_12m: int
    spend_12m: Decimal
    earned_total: int
    level_id: int | None
    referred_by_id: int | None
    referral_rewarded_at: dt.datetime | None


KEPT_FIELDS = tuple(Kept.__dataclass_fields__)


def members_lock_many(customer_ids: Iterable[int], now: dt.datetime) -> dict[int, Kept]:
    """The members of ``customer_ids`` (made for those that are none yet), locked until
    the transaction ends, in id order. One query when they all exist."""
    ids = sorted(set(customer_ids))
    found = _kept_locked(ids)
    missing = [pk for pk in ids if pk not in found]
    if missing:
        _members_insert(missing, now)
        found.update(_kept_locked(missing))
    return found


def _kept_locked(ids: list[int]) -> dict[int, Kept]:
    if not ids:
        return {}
    rows = (
        Member.objects.select_for_update()
        .filter(customer_id__in=values_in(ids, "int"))
        .order_by("customer_id")
        .values_list(*KEPT_FIELDS)
    )
    return {row[0]: Kept(*row) for row in rows}


def member_lock(customer_id: int, *, create: bool = False) -> Member | None:
    if create:
        members_ensure([customer_id], timezone.now())
    return Member.objects.select_for_update().filter(customer_id=customer_id).first()


def net_apply(member: Member | Kept, delta: int) -> int:
    """Add ``delta`` to the member's net points; returns how much of a positive delta
    paid back points owed (those do not become spendable)."""
    before_owed = member.owed
    net = member.balance - member.owed + delta
    member.balance = max(net, 0)
    member.owed = max(-net, 0)
    return max(before_owed - member.owed, 0) if delta > 0 else 0


def points_take(customer_id: int, points: int, *, first_order_id: int | None = None) -> int:
    """Take up to ``points`` from what is left of the customer's earns and grants,
    the earn of ``first_order_id`` first, then the oldest-expiring; returns how many
    were taken (fewer only when the balance is short)."""
    if points <= 0:
        return 0
    rows = PointEntry.objects.filter(customer_id=customer_id, remaining__gt=0).order_by(
        F("expires_at").asc(nulls_last=True), "at", "id"
    )
    entries = list(rows.values_list("id", "remaining", "order_id"))
    if first_order_id is not None:
        entries.sort(key=lambda entry: entry[2] != first_order_id)
    left = points
    updates: list[tuple[int, int]] = []
    for pk, remaining, _order in entries:
        if left == 0:
            break
        used = min(left, remaining)
        left -= used
        updates.append((remaining - used, pk))
    remaining_update(updates)
    return points - left


def remaining_update(updates: Sequence[tuple[int, int]]) -> None:
    """``(remaining, entry id)`` pairs written with one ``executemany``."""
    if not updates:
        return
    table = PointEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET remaining = %s WHERE id = %s", list(updates))


def level_for(points: int, spend: Decimal, levels: Sequence[Level]) -> Level | None:
    """The highest level whose threshold the member's 12 months reach."""
    basis = str(settings.KEHU_LOYALTY_LEVEL_BASIS)
    best: Level | None = None
    for level in levels:
        if basis == LevelBasis.POINTS:
            reached = points >= level.min_points
            key = (level.min_points, level.min_spend)
        else:
            reached = spend >= level.min_spend
            key = (level.min_spend, level.min_points)  # type: ignore[assignment]
        if reached and (best is None or key >= _key(best, basis)):
            best = level
    return best


def _key(level: Level, basis: str) -> tuple[object, object]:
    if basis == LevelBasis.POINTS:
        return (level.min_points, level.min_spend)
    return (level.min_spend, level.min_points)


def levels_all() -> list[Level]:
    return list(Level.objects.all())


MEMBER_COLUMNS = ("balance", "owed", "points_12m", "spend_12m", "earned_total", "level_id")
# How each column's value is read back from the VALUES list (PostgreSQL types a column
# of NULLs as text; SQLite takes Decimals as text).
_CASTS = {
    "balance": "CAST(v.balance AS INTEGER)",
    "owed": "CAST(v.owed AS INTEGER)",
    "points_12m": "CAST(v.points_12m AS INTEGER)",
    "spend_12m": "CAST(v.spend_12m AS NUMERIC)",
    "earned_total": "CAST(v.earned_total AS BIGINT)",
    "level_id": "CAST(v.level_id AS BIGINT)",
}
WRITE_CHUNK = 500


def members_save(
    members: Iterable[Member | Kept], now: dt.datetime, levels: Sequence[Level] | None = None
) -> None:
    """Write the kept figures of ``members`` back, each at the level its 12 months
    reach: one UPDATE from a VALUES list per 500 members."""
    members = list(members)
    if not members:
        return
    known = levels_all() if levels is None else levels
    for member in members:
        level = level_for(member.points_12m, member.spend_12m, known)
        member.level_id = level.pk if level else None
        if isinstance(member, Member):
            member.level = level
    table = Member._meta.db_table
    when = datetime_adapter()(now)
    with connection.cursor() as cursor:
        for start in range(0, len(members), WRITE_CHUNK):
            chunk = members[start : start + WRITE_CHUNK]
            if connection.vendor == "postgresql":
                _write_pg(cursor, table, chunk, when)
            else:
                _write_values(cursor, table, chunk, when)


def _write_values(cursor: Any, table: str, chunk: Sequence[Member | Kept], when: Any) -> None:
    """One UPDATE from a VALUES list (SQLite)."""
    columns = ("customer_id", *MEMBER_COLUMNS)
    sets = ", ".join(f"{column} = {_CASTS[column]}" for column in MEMBER_COLUMNS)
    values = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(chunk))
    params: list[Any] = []
    for m in chunk:
        params += [m.customer_id, m.balance, m.owed, m.points_12m]
        params += [str(m.spend_12m), m.earned_total, m.level_id]
    cursor.execute(
        f"WITH v({', '.join(columns)}) AS (VALUES {values}) "
        f"UPDATE {table} SET {sets}, updated_at = %s FROM v "
        f"WHERE {table}.customer_id = CAST(v.customer_id AS BIGINT)",
        [*params, when],
    )


def _write_pg(cursor: Any, table: str, chunk: Sequence[Member | Kept], when: Any) -> None:
    """One UPDATE from arrays, one parameter per column (PostgreSQL binds and plans it
    once, whatever the number of members)."""
    cursor.execute(
        f"UPDATE {table} SET balance = v.balance, owed = v.owed, points_12m = v.points_12m, "
        "spend_12m = v.spend_12m, earned_total = v.earned_total, level_id = v.level_id, "
        "updated_at = %s FROM unnest(%s::bigint[], %s::integer[], %s::integer[], "
        "%s::integer[], %s::numeric[], %s::bigint[], %s::bigint[]) "
        "AS v(customer_id, balance, owed, points_12m, spend_12m, earned_total, level_id) "
        f"WHERE {table}.customer_id = v.customer_id",
        [
            when,
            [m.customer_id for m in chunk],
            [m.balance for m in chunk],
            [m.owed for m in chunk],
            [m.points_12m for m in chunk],
            [m.spend_12m for m in chunk],
            [m.earned_total for m in chunk],
            [m.level_id for m in chunk],
        ],
    )
