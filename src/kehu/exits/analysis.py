"""Exit analysis (成败分析, 001 §4): why customers leave, which ones and when — the
exits a user may see, counted by reason and one more dimension (segment, star tier,
20/60/20 group, tenure, channel, product, owner, team, month), with what they were
worth and how many were won back. Each dimension is one ``GROUP BY`` over the exits
(a segment: one per segment); the dimensions are the exit's own snapshot columns,
as the customer was when it left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, CharField, Count, Q, QuerySet, Sum, Value, When
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import Team, User
from kehu.core.days import day_end, day_start
from kehu.core.sql import values_in
from kehu.customers.models import Customer, SourceChannel
from kehu.exits.access import exits_counted_for
from kehu.exits.models import ExitReason, ExitRecord
from kehu.exits.registry import exit_contexts
from kehu.orders.models import Product
from kehu.value.models import Segment as ValueGroup

DIMENSIONS: dict[str, str | Promise] = {
    "reason": gettext_lazy("仅按原因"),
    "segment": gettext_lazy("客户分群"),
    "tier": gettext_lazy("星级"),
    "group": gettext_lazy("二八分组"),
    "tenure": gettext_lazy("合作时长"),
    "channel": gettext_lazy("来源渠道"),
    "product": gettext_lazy("最后购买的产品"),
    "owner": gettext_lazy("负责人"),
    "team": gettext_lazy("团队"),
    "month": gettext_lazy("退出月份"),
}
# Dimensions that put every exit in exactly one group (not product, segment).
SINGLE_VALUED = frozenset({"tier", "group", "tenure", "channel", "owner", "team", "month"})
MAX_SEGMENTS = 12  # segments counted for "by segment" (one query each)
MAX_GROUPS = 30  # rows of a dimension shown (the largest), the rest summed as 其他

# Tenure bands (合作时长): from the first purchase to the exit, in days.
TENURE_BANDS: tuple[tuple[str, int | None, str | Promise], ...] = (
    ("lt3m", 91, gettext_lazy("3 个月内")),
    ("3m_1y", 365, gettext_lazy("3–12 个月")),
    ("1y_2y", 730, gettext_lazy("1–2 年")),
    ("2y_5y", 1826, gettext_lazy("2–5 年")),
    ("5y", None, gettext_lazy("5 年以上")),
)
NO_PURCHASE = "none"


def tenure_case() -> Case:
    whens = [
        When(tenure_days__lt=limit, then=Value(key)) for key, limit, _label in TENURE_BANDS if limit
    ]
    return Case(
        When(tenure_days__isnull=True, then=Value(NO_PURCHASE)),
        *whens,
        default=Value(TENURE_BANDS[-1][0]),
        output_field=CharField(),
    )


@dataclass(frozen=True)
class ExitQuery:
    by: str = "reason"
    since: dt.date | None = None
    until: dt.date | None = None
    reason: int | None = None
    segment: int | None = None  # only the exits of this segment's members


@dataclass
class Row:
    key: str
    label: str
    counts: dict[int, int] = field(default_factory=dict)  # reason id → exits
    exits: int = 0
    won_back: int = 0
    value: Decimal = Decimal("0.00")

    def add(self, reason_id: int, n: int, won: int, value: Decimal | None) -> None:
        self.counts[reason_id] = self.counts.get(reason_id, 0) + n
        self.exits += n
        self.won_back += won
        self.value += value or Decimal("0.00")

    def cells(self, reasons: Sequence[ExitReason]) -> list[int]:
        return [self.counts.get(r.pk, 0) for r in reasons]


@dataclass
class ContextPart:
    name: str
    label: str
    row: Row


@dataclass
class Analysis:
    query: ExitQuery
    reasons: list[ExitReason]  # the columns: reasons with exits, in taxonomy order
    rows: list[Row]
    total: Row
    contexts: list[ContextPart] = field(default_factory=list)

    @property
    def dimension_label(self) -> str:
        return str(DIMENSIONS.get(self.query.by, ""))


def scoped_exits(user: User, query: ExitQuery) -> QuerySet[ExitRecord]:
    rows = exits_counted_for(user)
    if query.since:
        rows = rows.filter(at__gte=day_start(query.since))
    if query.until:
        rows = rows.filter(at__lt=day_end(query.until))
    if query.reason:
        rows = rows.filter(reason_id=query.reason)
    if query.segment:
        rows = rows.filter(customer_id__in=_segment_members(user, query.segment))
    return rows


def _segment_members(user: User, segment_id: int) -> Any:
    from kehu.segments.audience import segment_audience

    return Customer.objects.filter(segment_audience(user, segment_id).q).values("pk")


def _grouped(rows: QuerySet[ExitRecord], key: Any) -> list[tuple[Any, int, int, int, Any]]:
    """(group, reason id, exits, won back, value before) per group and reason."""
    annotated = rows.annotate(group=key) if not isinstance(key, str) else rows
    name = "group" if not isinstance(key, str) else key
    return [
        (r[name], r["reason_id"], r["n"], r["won"], r["value"])
        for r in annotated.values(name, "reason_id")
        .annotate(
            n=Count("id"),
            won=Count("id", filter=Q(won_back_at__isnull=False)),
            value=Sum("value_before"),
        )
        .order_by()
    ]


def _labels(by: str, keys: set[Any]) -> dict[Any, str]:
    none = _("未知")
    if by == "tier":
        return {k: "★" * k if k else _("未评分") for k in keys}
    if by == "group":
        groups = {value: str(label) for value, label in ValueGroup.choices}
        return {k: groups.get(k, _("未评分")) if k else _("未评分") for k in keys}
    if by == "tenure":
        bands = {key: str(label) for key, _limit, label in TENURE_BANDS}
        bands[NO_PURCHASE] = _("未购买过")
        return {k: bands.get(k, none) for k in keys}
    if by == "channel":
        labels = {value: str(label) for value, label in SourceChannel.choices}
        return {k: str(labels.get(k, k)) if k else none for k in keys}
    if by == "owner":
        users = User.objects.filter(pk__in=[k for k in keys if k])
        found = {u.pk: u.label for u in users}
        return {k: found.get(k, _("公海")) if k else _("公海") for k in keys}
    if by == "team":
        teams = dict(Team.objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "name"))
        return {k: teams.get(k, _("无团队")) if k else _("无团队") for k in keys}
    if by == "product":
        names = dict(
            Product.objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "name")
        )
        return {k: names.get(k, _("无产品记录")) if k else _("无产品记录") for k in keys}
    if by == "month":
        return {k: k.strftime("%Y-%m") if k else none for k in keys}
    return {k: str(k) for k in keys}


KEYS: dict[str, Any] = {
    "month": "month",
    "tier": "tier",
    "group": "value_group",
    "channel": "channel",
    "owner": "owner_id",
    "team": "team_id",
    "product": "products",
}


def _rows(user: User, rows: QuerySet[ExitRecord], by: str) -> list[Row]:
    if by == "reason":
        return []
    if by == "segment":
        return _segment_rows(user, rows)
    if by == "tenure":
        key: Any = tenure_case()
    else:
        key = KEYS[by]
    grouped = _grouped(rows, key)
    labels = _labels(by, {g for g, *_rest in grouped})
    found: dict[Any, Row] = {}
    for group, reason_id, n, won, value in grouped:
        row = found.get(group)
        if row is None:
            row = found[group] = Row(_key(group), labels.get(group, str(group)))
        row.add(reason_id, n, won, value)
    if by == "month":
        return [found[k] for k in sorted(found, key=lambda k: (k is None, k))]
    if by == "tenure":
        order = [NO_PURCHASE, *(key for key, _l, _t in TENURE_BANDS)]
        return [found[k] for k in order if k in found]
    if by == "tier":
        return [found[k] for k in sorted(found, key=lambda k: (k is None, -(k or 0)))]
    ordered = sorted(found.values(), key=lambda r: (-r.exits, r.label))
    if len(ordered) > MAX_GROUPS:
        rest = Row("other", _("其他"))
        for row in ordered[MAX_GROUPS:]:
            for reason_id, n in row.counts.items():
                rest.add(reason_id, n, 0, None)
            rest.won_back += row.won_back
            rest.value += row.value
        ordered = [*ordered[:MAX_GROUPS], rest]
    return ordered


def _key(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m")
    return "" if value is None else str(value)


def _segment_rows(user: User, rows: QuerySet[ExitRecord]) -> list[Row]:
    from kehu.segments.access import segments_visible_to
    from kehu.segments.audience import rule_errors, segment_q

    result = []
    segments = segments_visible_to(user).order_by("name", "pk")[:MAX_SEGMENTS]
    for segment in segments:
        if not segment.is_static and rule_errors(segment.rule):
            continue
        members = Customer.objects.filter(segment_q(segment)).values("pk")
        row = Row(str(segment.pk), segment.name)
        for _g, reason_id, n, won, value in _grouped(
            rows.filter(customer_id__in=members), "reason_id"
        ):
            row.add(reason_id, n, won, value)
        result.append(row)
    return result


def exit_analysis(user: User, query: ExitQuery, *, contexts: bool = True) -> Analysis:
    """The exits ``user`` may see, by reason and ``query.by``; the registered contexts
    (customers who left while a playbook ran…) apart."""
    if query.by not in DIMENSIONS:
        raise ValueError(query.by)
    rows = scoped_exits(user, query)
    groups = _rows(user, rows, query.by)
    total = Row("total", _("合计"))
    if query.by in SINGLE_VALUED:  # every exit in exactly one group: their sum
        for row in groups:
            for reason_id, n in row.counts.items():
                total.add(reason_id, n, 0, None)
            total.won_back += row.won_back
            total.value += row.value
    else:
        for _g, reason_id, n, won, value in _grouped(rows, "reason_id"):
            total.add(reason_id, n, won, value)
    reasons = [r for r in ExitReason.objects.order_by("position", "id") if r.pk in total.counts]
    analysis = Analysis(query, reasons, groups, total)
    if contexts and total.exits:
        registered = exit_contexts()
        if registered:
            customer_ids = list(rows.values_list("customer_id", flat=True))
            for context in registered:
                held = context.fn(customer_ids)
                part = Row(context.name, str(context.label))
                if held:
                    for _g, reason_id, n, won, value in _grouped(
                        rows.filter(customer_id__in=values_in(sorted(held), "int")), "reason_id"
                    ):
                        part.add(reason_id, n, won, value)
                analysis.contexts.append(ContextPart(context.name, str(context.label), part))
    return analysis
