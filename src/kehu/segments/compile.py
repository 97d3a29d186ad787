"""A condition of the rule language as one SQL boolean over the customer table.

``compiled(condition, context)`` gives ``(sql, params)`` that reads the outer
``customers_customer`` row (Django's alias for ``Customer``), so it filters a
Customer queryset as it is: ``.filter(RawSQL(sql, params, BooleanField()))`` — the
same fragment counts, pages and samples, under the reader's visibility filter.

Semantics are those of ``rules.holds``: a comparison with an unknown fact does not
hold, and ``not`` inverts. Every leaf is therefore two-valued in SQL — ``(x IS NOT NULL
AND x > %s)`` is FALSE, never NULL, when ``x`` is unknown — so ``NOT`` inverts as in
Python (a three-valued ``NOT (NULL > 5)`` would drop the row).

Where each fact is read:

* the profile: the customer's own columns; age from the birthday;
* ``days_since_*`` and ``stage_days``: the time column against a cut-off computed here
  (``floor((now − t) / day) ≥ k`` ⇔ ``t ≤ now − k days``), so an index or a plain
  comparison serves, and no date arithmetic differs between SQLite and PostgreSQL;
* order facts: ``CustomerFacts`` (refreshed nightly; see models);
* value facts: the latest good scoring run's ``CustomerValue`` row;
* complaints, satisfaction, tags, flags, the stage in a model: live subqueries.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone

from kehu.complaints.models import Complaint
from kehu.complaints.models import Status as ComplaintStatus
from kehu.core.sql import datetime_adapter
from kehu.customers.models import Customer
from kehu.lifecycle import rules as rulebook
from kehu.lifecycle.facts import SEVERE
from kehu.lifecycle.models import CustomerFlag, CustomerStage
from kehu.orders.models import PURCHASE_STATUSES, Order, OrderLine, Product
from kehu.segments.models import STORED_FACTS, CustomerFacts, SegmentMember
from kehu.surveys.models import Satisfaction
from kehu.value.models import CustomerValue

DAY = dt.timedelta(days=1)
Sql = tuple[str, list[Any]]
TRUE, FALSE = "(1 = 1)", "(1 = 0)"

# Profile facts: the customer's column.
PROFILE_COLUMNS = {
    "province": "province",
    "city": "city",
    "industry": "industry",
    "customer_kind": "kind",
    "gender": "gender",
    "income_band": "income_band",
    "company_size": "company_size",
    "channel": "source_channel",
}
# Value facts: the column of the run's ``CustomerValue`` row.
VALUE_COLUMNS = {
    "rfm_score": "rfm_score",
    "tier": "tier",
    "p_alive": "p_alive",
    "clv": "clv",
    "churn_risk": "risk",
    "rfm_segment": "rfm_segment",
    "value_group": "segment",
}
RFM_SCORES = {"rfm_r": "r", "rfm_f": "f", "rfm_m": "m"}


@dataclass
class Context:
    """What a compilation reads besides the condition: the time, the scoring run and
    the ids of what leaves name by key (stages, tags and flags that exist now)."""

    now: dt.datetime
    run_id: int | None = None
    bins: int = 5
    models: dict[str, int] = field(default_factory=dict)  # model key → id
    stages: dict[tuple[str, str], int] = field(default_factory=dict)  # (model, stage) → id
    tags: dict[str, int] = field(default_factory=dict)  # name → id
    flags: dict[str, int] = field(default_factory=dict)  # key → id
    # Segments a rule names ("in segment 12"): id → (is a static list, its rule).
    segments: dict[str, tuple[bool, Any]] = field(default_factory=dict)

    @property
    def today(self) -> dt.date:
        return timezone.localdate(self.now)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def customer_ref() -> str:
    return f"{_q(Customer._meta.db_table)}.{_q('id')}"


def _when(value: dt.datetime) -> Any:
    return datetime_adapter()(value)


def _day(value: dt.date) -> Any:
    return connection.ops.adapt_datefield_value(value)


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


# --- whole-number facts read through a time column ----------------------------------------


def _cut_compare(column: str, op: str, number: float, cut: Callable[[int], Any]) -> Sql:
    """``n op number`` for a whole number ``n`` that grows as ``column`` lies further
    back: ``n ≥ k`` ⇔ ``column ≤ cut(k)``. ``column`` known is checked by the caller."""
    low, high = math.ceil(number), math.floor(number)

    def at_least(k: int) -> Sql:
        return f"{column} <= %s", [cut(k)]

    def below(k: int) -> Sql:
        return f"{column} > %s", [cut(k)]

    if op == ">=":
        return at_least(low)
    if op == ">":
        return at_least(high + 1)
    if op == "<":
        return below(low)
    if op == "<=":
        return below(high + 1)
    if low != high:  # == / != a fraction: never / always (for a known value)
        return (FALSE, []) if op == "==" else (TRUE, [])
    (a, pa), (b, pb) = at_least(low), below(low + 1)
    if op == "==":
        return f"({a} AND {b})", pa + pb
    return f"NOT ({a} AND {b})", pa + pb


class _Compiler:
    def __init__(self, context: Context) -> None:
        self.c = context
        self.customer = customer_ref()
        self.table = _q(Customer._meta.db_table)
        self.inside: list[str] = []  # the segments being inlined (a guard against cycles)

    # Facts read from one row per customer (the stored facts, the run's value row, the
    # latest satisfaction): (FROM … WHERE …, its params, the column, the column's params).
    # A comparison is an EXISTS over that row — two-valued (no row, or NULL: false), and
    # PostgreSQL plans it as a semi-join, where a scalar subquery runs once per customer.
    def source(self, name: str) -> tuple[str, list[Any], str, list[Any]] | None:
        customer = self.customer
        if name in STORED_FACTS or name in ("first_order_at", "last_order_at"):
            return (
                f"FROM {_q(CustomerFacts._meta.db_table)} f "
                f"WHERE f.{_q('customer_id')} = {customer}",
                [],
                f"f.{_q(name)}",
                [],
            )
        value_from = (
            f"FROM {_q(CustomerValue._meta.db_table)} v "
            f"WHERE v.{_q('run_id')} = %s AND v.{_q('customer_id')} = {customer}"
        )
        run = [self.c.run_id if self.c.run_id is not None else -1]  # no run: no row
        if name in RFM_SCORES:
            # Scaled to 1..5 as the value app does (``ceil(score × 5 / bins)``).
            column = f"((v.{_q(RFM_SCORES[name])} * 5 + %s - 1) / %s)"
            return value_from, run, column, [self.c.bins, self.c.bins]
        if name in VALUE_COLUMNS:
            return value_from, run, f"v.{_q(VALUE_COLUMNS[name])}", []
        if name in ("latest_csat", "latest_nps"):
            return (
                f"FROM {_q(Satisfaction._meta.db_table)} s "
                f"WHERE s.{_q('customer_id')} = {customer} AND s.{_q('slot')} = 'latest' "
                f"AND s.{_q('answered_at')} <= %s",
                [_when(self.c.now)],
                f"s.{_q('csat' if name == 'latest_csat' else 'nps')}",
                [],
            )
        return None

    def exists(self, name: str, predicate: str, params: list[Any]) -> Sql:
        """``EXISTS`` a row of ``name``'s source where ``predicate`` holds; ``{col}`` in
        ``predicate`` is its column (whose params come first in ``params``)."""
        found = self.source(name)
        assert found is not None
        from_, from_params, column, column_params = found
        sql = predicate.replace("{col}", column)
        uses = predicate.count("{col}")
        return (
            f"EXISTS (SELECT 1 {from_} AND {sql})",
            from_params + _spread(predicate, column_params, params, uses),
        )

    def complaints(self, severe: bool) -> Sql:
        levels = ", ".join(f"'{level}'" for level in SEVERE)
        extra = f" AND k.{_q('severity')} IN ({levels})" if severe else ""
        return (
            f"(SELECT COUNT(*) FROM {_q(Complaint._meta.db_table)} k "
            f"WHERE k.{_q('customer_id')} = {self.customer} "
            f"AND k.{_q('status')} <> '{ComplaintStatus.CLOSED}' "
            f"AND k.{_q('received_at')} <= %s{extra})",
            [_when(self.c.now)],
        )

    def number(self, name: str) -> Sql | None:
        """A number fact as a scalar expression (None: read through a time column)."""
        found = self.source(name)
        if found is not None:
            from_, from_params, column, column_params = found
            return f"(SELECT {column} {from_})", column_params + from_params
        if name in ("open_complaints", "open_severe_complaints"):
            return self.complaints(name == "open_severe_complaints")
        return None

    # Facts that are whole days (or years) since a time: (known test, column, cut-off).
    def timed(self, name: str, model: str | None) -> tuple[Sql, str, Callable[[int], Any]]:
        now = self.c.now

        def days(k: int) -> Any:
            return _when(now - k * DAY)

        if name == "days_since_created":
            column = f"{self.table}.{_q('created_at')}"
            return (TRUE, []), column, days
        if name == "days_since_last_interaction":
            column = f"{self.table}.{_q('last_contact_at')}"
            return (f"({column} IS NOT NULL AND {column} <= %s)", [_when(now)]), column, days
        if name in ("days_since_first_order", "days_since_last_order"):
            column = "first_order_at" if name == "days_since_first_order" else "last_order_at"
            return ("{col} IS NOT NULL", []), "{col}", days
        if name == "age":
            column = f"{self.table}.{_q('birthday')}"
            today = self.c.today

            def years(k: int) -> Any:
                return _day(_years_before(today, k))

            return (f"({column} IS NOT NULL AND {column} <= %s)", [_day(today)]), column, years
        raise KeyError(name)

    def stage_exists(self, model: str, extra: str = "", params: list[Any] | None = None) -> Sql:
        model_id = self.c.models.get(model)
        if model_id is None:
            return FALSE, []
        return (
            f"EXISTS (SELECT 1 FROM {_q(CustomerStage._meta.db_table)} st "
            f"WHERE st.{_q('customer_id')} = {self.customer} "
            f"AND st.{_q('model_id')} = %s{extra})",
            [model_id, *(params or [])],
        )

    # --- leaves -------------------------------------------------------------------------

    def leaf(self, leaf: Mapping[str, Any]) -> Sql:
        fact = rulebook.FACTS[leaf["fact"]]
        op, value, model = leaf["op"], leaf.get("value"), leaf.get("model")
        if fact.name == "stage":
            return self.stage_leaf(str(model), op, value)
        if fact.name == "stage_days":
            return self.stage_days_leaf(str(model), op, value)
        if fact.kind == rulebook.SET:
            return self.set_leaf(fact.name, op, str(value))
        if fact.per_field:
            return self.custom_leaf(fact.kind, str(leaf["field"]), op, value)
        if fact.kind == rulebook.TEXT:
            compare = "=" if op == "is" else "<>"
            if fact.name in VALUE_COLUMNS:
                if op in ("known", "unknown"):
                    sql, params = self.exists(fact.name, "{col} <> ''", [])
                    return (sql if op == "known" else f"NOT {sql}"), params
                return self.exists(fact.name, f"{{col}} <> '' AND {{col}} {compare} %s", [value])
            column = f"{self.table}.{_q(PROFILE_COLUMNS[fact.name])}"
            known = f"({column} IS NOT NULL AND {column} <> '')"
            if op == "known":
                return known, []
            if op == "unknown":
                return f"NOT {known}", []
            return f"({known} AND {column} {compare} %s)", [value]
        if self.source(fact.name) is not None and not isinstance(value, dict):
            if op in ("known", "unknown"):
                sql, params = self.exists(fact.name, "{col} IS NOT NULL", [])
                return (sql if op == "known" else f"NOT {sql}"), params
            return self.exists(fact.name, f"{{col}} {op_sql(op)} %s", [float(value or 0)])
        number = self.number(fact.name)
        if number is None:
            return self.timed_leaf(fact.name, op, value, model)
        expression, params = number
        known = f"{expression} IS NOT NULL"
        if op == "known":
            return known, params
        if op == "unknown":
            return f"NOT ({known})", params
        if isinstance(value, dict):
            return self.relative(expression, params, op, value)
        return (
            f"({known} AND {expression} {op_sql(op)} %s)",
            params + params + [float(value or 0)],
        )

    def relative(self, left: str, params: list[Any], op: str, value: Mapping[str, Any]) -> Sql:
        other = self.number(str(value["fact"]))
        assert other is not None, "refused by segment_errors"
        right, right_params = other
        return (
            f"({left} IS NOT NULL AND {right} IS NOT NULL AND {left} {op_sql(op)} {right} * %s)",
            params + right_params + params + right_params + [float(value["times"])],
        )

    def timed_leaf(self, name: str, op: str, value: Any, model: str | None) -> Sql:
        assert not isinstance(value, dict), "refused by segment_errors"
        (known, known_params), column, cut = self.timed(name, model)
        if column == "{col}":  # a stored time: the test runs inside its row's EXISTS
            stored = "first_order_at" if name == "days_since_first_order" else "last_order_at"
            if op in ("known", "unknown"):
                sql, params = self.exists(stored, known, [])
                return (sql if op == "known" else f"NOT {sql}"), params
            compare, params = _cut_compare(column, op, float(value), cut)
            return self.exists(stored, compare, params)
        if op == "known":
            return known, known_params
        if op == "unknown":
            return f"NOT {known}", known_params
        compare, params = _cut_compare(column, op, float(value), cut)
        return f"({known} AND {compare})", known_params + params

    def segment_leaf(self, op: str, value: str) -> Sql:
        """In (or not in) another segment: a static list's members, or that segment's
        own rule inlined (refused on save when segments would include each other)."""
        found = self.c.segments.get(value)
        if found is None or value in self.inside:
            sql, params = FALSE, []
        elif found[0]:
            sql, params = (
                f"EXISTS (SELECT 1 FROM {_q(SegmentMember._meta.db_table)} m "
                f"WHERE m.{_q('customer_id')} = {self.customer} AND m.{_q('segment_id')} = %s)",
                [int(value)],
            )
        else:
            self.inside.append(value)
            sql, params = self.node(found[1])
            self.inside.pop()
        return (sql if op == "has" else f"NOT {sql}"), params

    def bought_leaf(self, name: str, op: str, value: str) -> Sql:
        """Bought through a channel / a product of a category / a product by its SKU
        (purchases up to now)."""
        statuses = ", ".join(f"'{status}'" for status in PURCHASE_STATUSES)
        where = (
            f"o.{_q('customer_id')} = {self.customer} AND o.{_q('status')} IN ({statuses}) "
            f"AND o.{_q('ordered_at')} <= %s"
        )
        if name == "order_channels":
            sql = (
                f"EXISTS (SELECT 1 FROM {_q(Order._meta.db_table)} o "
                f"WHERE {where} AND o.{_q('channel')} = %s)"
            )
        else:
            sql = (
                f"EXISTS (SELECT 1 FROM {_q(Order._meta.db_table)} o "
                f"JOIN {_q(OrderLine._meta.db_table)} l ON l.{_q('order_id')} = o.{_q('id')} "
                f"JOIN {_q(Product._meta.db_table)} p ON p.{_q('id')} = l.{_q('product_id')} "
                f"WHERE {where} AND p.{_q('category' if name == 'categories' else 'sku')} = %s)"
            )
        params = [_when(self.c.now), value]
        return (sql if op == "has" else f"NOT {sql}"), params

    def custom_leaf(self, kind: str, field: str, op: str, value: Any) -> Sql:
        """A custom field's value: text only when stored as a JSON string, a number only
        when stored as a JSON number (anything else is unknown)."""
        column = f"{self.table}.{_q('custom_fields')}"
        if connection.vendor == "postgresql":
            wanted = "string" if kind == rulebook.TEXT else "number"
            cast = "" if kind == rulebook.TEXT else "::float8"
            expression = (
                f"(CASE WHEN jsonb_typeof({column} -> %s) = '{wanted}' "
                f"THEN ({column} ->> %s){cast} END)"
            )
            params: list[Any] = [field, field]
        else:
            wanted = "('text')" if kind == rulebook.TEXT else "('integer', 'real')"
            path = '$."' + field.replace('"', "") + '"'
            expression = (
                f"(CASE WHEN json_type({column}, %s) IN {wanted} "
                f"THEN json_extract({column}, %s) END)"
            )
            params = [path, path]
        known = f"({expression} IS NOT NULL" + (
            f" AND {expression} <> '')" if kind == rulebook.TEXT else ")"
        )
        known_params = params * (2 if kind == rulebook.TEXT else 1)
        if op == "known":
            return known, known_params
        if op == "unknown":
            return f"NOT {known}", known_params
        if kind == rulebook.TEXT:
            compare = "=" if op == "is" else "<>"
            return f"({known} AND {expression} {compare} %s)", known_params + params + [value]
        return (
            f"({known} AND {expression} {op_sql(op)} %s)",
            known_params + params + [float(value or 0)],
        )

    def set_leaf(self, name: str, op: str, value: str) -> Sql:
        if name == "interests":
            find = "strpos" if connection.vendor == "postgresql" else "instr"
            sql = f"{find}({self.table}.{_q('interests')}, %s) > 0"
            return (sql if op == "has" else f"NOT ({sql})"), [value]
        if name == "segment":
            return self.segment_leaf(op, value)
        if name in ("order_channels", "categories", "products"):
            return self.bought_leaf(name, op, value)
        if name == "tags":
            table = Customer.tags.through._meta.db_table
            found, column = self.c.tags.get(value), "tag_id"
        else:
            table = CustomerFlag._meta.db_table
            found, column = self.c.flags.get(value), "flag_id"
        if found is None:
            exists = FALSE
            params: list[Any] = []
        else:
            exists = (
                f"EXISTS (SELECT 1 FROM {_q(table)} t "
                f"WHERE t.{_q('customer_id')} = {self.customer} AND t.{_q(column)} = %s)"
            )
            params = [found]
        return (exists if op == "has" else f"NOT {exists}"), params

    def stage_leaf(self, model: str, op: str, value: Any) -> Sql:
        if op == "known":
            return self.stage_exists(model)
        if op == "unknown":
            sql, params = self.stage_exists(model)
            return f"NOT {sql}", params
        stage_id = self.c.stages.get((model, str(value)))
        if stage_id is None:  # refused by segment_errors; no customer is in it
            return (FALSE, []) if op == "is" else self.stage_exists(model)
        compare = "=" if op == "is" else "<>"
        return self.stage_exists(model, f" AND st.{_q('stage_id')} {compare} %s", [stage_id])

    def stage_days_leaf(self, model: str, op: str, value: Any) -> Sql:
        if op in ("known", "unknown"):
            sql, params = self.stage_exists(model)
            return (sql if op == "known" else f"NOT {sql}"), params
        assert not isinstance(value, dict), "refused by segment_errors"
        now = self.c.now
        compare, params = _cut_compare(
            f"st.{_q('since')}", op, float(value), lambda k: _when(now - k * DAY)
        )
        return self.stage_exists(model, f" AND {compare}", params)

    def node(self, condition: Mapping[str, Any]) -> Sql:
        for group, joiner in (("all", " AND "), ("any", " OR ")):
            if group in condition:
                parts = [self.node(child) for child in condition[group]]
                return (
                    "(" + joiner.join(sql for sql, _p in parts) + ")",
                    [p for _s, params in parts for p in params],
                )
        if "not" in condition:
            sql, params = self.node(condition["not"])
            return f"(NOT {sql})", params
        return self.leaf(condition)


def _spread(predicate: str, column_params: list[Any], params: list[Any], uses: int) -> list[Any]:
    """The params of ``predicate`` in order: each ``{col}`` brings the column's params,
    each ``%s`` outside it the next of ``params``."""
    out: list[Any] = []
    rest = list(params)
    for piece in predicate.split("{col}")[: uses + 1]:
        out += [rest.pop(0) for _i in range(piece.count("%s"))]
        out += column_params
    return out[: len(out) - len(column_params)] + rest if uses else out + rest


def op_sql(op: str) -> str:
    return {"==": "=", "!=": "<>"}.get(op, op)


def scalar(name: str) -> bool:
    """Whether a number fact has a scalar expression (may be compared relatively)."""
    return (
        name in STORED_FACTS
        or name in RFM_SCORES
        or name in VALUE_COLUMNS
        or name
        in (
            "open_complaints",
            "open_severe_complaints",
            "latest_csat",
            "latest_nps",
        )
    )


def compiled(condition: Mapping[str, Any], context: Context) -> Sql:
    """``condition`` (already validated, for segments) as a SQL boolean with params."""
    return _Compiler(context).node(condition)
