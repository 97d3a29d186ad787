"""Lifecycle analytics arithmetic (no Django): stage distribution at a date and over
time, the conversion funnel, time in stage, flows between stages and cohort retention.

Everything is computed from the stage history — rows ``(customer_id, from_stage,
to_stage, at)`` of one lifecycle model, where the stages are ids — so past dates are
right: the stage of a customer at a date is its latest change at or before that date.
Rows with the same ``at`` keep the order they were given in (callers order by
``at, id``).

The same functions serve the page (over the customers a user may see) and the daily
snapshot job (over everyone). Pure Python, so they run anywhere and are tested alone.
"""

from __future__ import annotations

import datetime as dt
import itertools
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median

from kehu.core.days import day_end

# (customer_id, from_stage_id or None, to_stage_id, at)
ChangeRow = tuple[int, int | None, int, dt.datetime]
# (at, from_stage_id or None, to_stage_id, count): history rows aggregated (e.g. per day)
FlowRow = tuple[dt.datetime, int | None, int, int]

DAY_SECONDS = 86_400.0
BUCKETS = ("day", "week", "month")


@dataclass(frozen=True)
class StageInfo:
    id: int
    key: str
    name: str
    color: str = "#6c757d"
    position: int = 0
    churned: bool = False


def ordered(stages: Iterable[StageInfo]) -> list[StageInfo]:
    return sorted(stages, key=lambda s: (s.position, s.id))


# --- periods and buckets -------------------------------------------------------------------


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_add(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_last_day(month: dt.date) -> dt.date:
    return month_add(month, 1) - dt.timedelta(days=1)


@dataclass(frozen=True)
class Bucket:
    label: str
    first: dt.date
    last: dt.date  # the day whose end the bucket's distribution is read at


def buckets(start: dt.date, end: dt.date, unit: str) -> list[Bucket]:
    """Days, ISO weeks (Monday first) or calendar months covering ``start``–``end``; the
    last bucket ends at ``end`` (today's bucket is read at today)."""
    if unit not in BUCKETS:
        raise ValueError(unit)
    result: list[Bucket] = []
    if unit == "day":
        first = start
        while first <= end:
            result.append(Bucket(first.isoformat(), first, first))
            first += dt.timedelta(days=1)
    elif unit == "week":
        first = start - dt.timedelta(days=start.weekday())
        while first <= end:
            last = min(first + dt.timedelta(days=6), end)
            year, week, _ = first.isocalendar()
            result.append(Bucket(f"{year}-W{week:02d}", max(first, start), last))
            first += dt.timedelta(days=7)
    else:
        first = month_of(start)
        while first <= end:
            last = min(month_last_day(first), end)
            result.append(Bucket(first.strftime("%Y-%m"), max(first, start), last))
            first = month_add(first, 1)
    return result


def bucket_for(start: dt.date, end: dt.date) -> str:
    """A sensible bucket for a period: days up to ~2 months, weeks up to ~1 year."""
    days = (end - start).days
    if days <= 62:
        return "day"
    if days <= 366:
        return "week"
    return "month"


# --- stage distribution --------------------------------------------------------------------


def distribution_series(
    rows: Iterable[ChangeRow], moments: Sequence[dt.datetime]
) -> list[dict[int, int]]:
    """Customers per stage just before each moment (ascending): for each customer, the
    stage of its latest change before the moment."""
    changes = sorted(rows, key=lambda r: r[3])  # stable: same-time rows keep their order
    current: dict[int, int] = {}
    counts: dict[int, int] = defaultdict(int)
    result: list[dict[int, int]] = []
    i = 0
    for moment in moments:
        while i < len(changes) and changes[i][3] < moment:
            customer, _from, to, _at = changes[i]
            before = current.get(customer)
            if before is not None:
                counts[before] -= 1
            counts[to] += 1
            current[customer] = to
            i += 1
        result.append({stage: n for stage, n in counts.items() if n})
    return result


def distribution_at(rows: Iterable[ChangeRow], day: dt.date, tz: dt.tzinfo) -> dict[int, int]:
    """Customers per stage at the end of ``day``."""
    return distribution_series(rows, [day_end(day, tz)])[0]


def distribution_over_time(
    rows: Iterable[ChangeRow], periods: Sequence[Bucket], tz: dt.tzinfo
) -> list[dict[int, int]]:
    """Customers per stage at the end of each bucket's last day."""
    return distribution_series(rows, [day_end(b.last, tz) for b in periods])


def distribution_from_flows(
    flows: Iterable[FlowRow], moments: Sequence[dt.datetime]
) -> list[dict[int, int]]:
    """The same from aggregated flows (each ``from → to`` is one leaving and one
    entering): what the daily snapshot table gives without reading the history."""
    ordered_flows = sorted(flows, key=lambda f: f[0])
    counts: dict[int, int] = defaultdict(int)
    result: list[dict[int, int]] = []
    i = 0
    for moment in moments:
        while i < len(ordered_flows) and ordered_flows[i][0] < moment:
            _at, from_stage, to_stage, n = ordered_flows[i]
            if from_stage is not None:
                counts[from_stage] -= n
            counts[to_stage] += n
            i += 1
        result.append({stage: n for stage, n in counts.items() if n})
    return result


# --- funnel --------------------------------------------------------------------------------


@dataclass
class FunnelStep:
    stage: StageInfo
    reached: int
    share: float | None  # of every customer placed in the model, %
    to_next: float | None  # of those who reached this stage, % who then reached the next


def first_reached(rows: Iterable[ChangeRow]) -> dict[int, dict[int, dt.datetime]]:
    """customer → stage → the first time the customer entered it."""
    firsts: dict[int, dict[int, dt.datetime]] = defaultdict(dict)
    for customer, _from, to, at in rows:
        seen = firsts[customer]
        if to not in seen or at < seen[to]:
            seen[to] = at
    return firsts


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def funnel(rows: Iterable[ChangeRow], stages: Iterable[StageInfo]) -> list[FunnelStep]:
    """The model's ordinary stages in order (exit stages are not steps): how many
    customers ever reached each, their share of all customers in the model, and the
    share of them that went on to reach the next stage (at or after first reaching this
    one)."""
    firsts = first_reached(rows)
    return funnel_from_firsts(firsts, stages)


@dataclass
class FunnelCounts:
    """The funnel's additive parts, so it can be built chunk by chunk (the daily job)."""

    total: int = 0
    reached: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    onward: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def add(
        self, firsts: Mapping[int, Mapping[int, dt.datetime]], stages: Iterable[StageInfo]
    ) -> FunnelCounts:
        steps = [s for s in ordered(stages) if not s.churned]
        nexts = {a.id: b.id for a, b in itertools.pairwise(steps)}
        members = {s.id for s in steps}
        self.total += len(firsts)
        for seen in firsts.values():
            for stage_id, at in seen.items():
                if stage_id not in members:
                    continue
                self.reached[stage_id] += 1
                following = nexts.get(stage_id)
                if following is not None and following in seen and seen[following] >= at:
                    self.onward[stage_id] += 1
        return self

    def steps(self, stages: Iterable[StageInfo]) -> list[FunnelStep]:
        steps = [s for s in ordered(stages) if not s.churned]
        last = steps[-1].id if steps else None
        return [
            FunnelStep(
                stage=s,
                reached=self.reached.get(s.id, 0),
                share=_pct(self.reached.get(s.id, 0), self.total),
                to_next=None
                if s.id == last
                else _pct(self.onward.get(s.id, 0), self.reached.get(s.id, 0)),
            )
            for s in steps
        ]


def funnel_from_firsts(
    firsts: Mapping[int, Mapping[int, dt.datetime]], stages: Iterable[StageInfo]
) -> list[FunnelStep]:
    stages = list(stages)
    return FunnelCounts().add(firsts, stages).steps(stages)


# --- time in stage -------------------------------------------------------------------------


@dataclass
class StageTime:
    stage: StageInfo
    closed: int  # spells that ended (the customer moved on)
    open: int  # spells still running, counted up to now
    mean_days: float | None  # over every spell, the open ones up to now
    median_days: float | None
    closed_mean_days: float | None  # over the finished spells only
    closed_median_days: float | None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def by_customer(rows: Iterable[ChangeRow]) -> dict[int, list[ChangeRow]]:
    """Each customer's changes in time order (same-time rows keep their order)."""
    grouped: dict[int, list[ChangeRow]] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row)
    for changes in grouped.values():
        changes.sort(key=lambda r: r[3])
    return grouped


Spells = tuple[dict[int, list[float]], dict[int, list[float]]]


def spells(rows: Iterable[ChangeRow], now: dt.datetime) -> Spells:
    """Days of each finished spell per stage, and of each running one up to ``now``."""
    closed: dict[int, list[float]] = defaultdict(list)
    running: dict[int, list[float]] = defaultdict(list)
    for changes in by_customer(rows).values():
        for this, following in itertools.pairwise(changes):
            closed[this[2]].append((following[3] - this[3]).total_seconds() / DAY_SECONDS)
        last = changes[-1]
        running[last[2]].append(max((now - last[3]).total_seconds(), 0.0) / DAY_SECONDS)
    return closed, running


def time_in_stage(
    rows: Iterable[ChangeRow], stages: Iterable[StageInfo], now: dt.datetime
) -> list[StageTime]:
    """Days spent in each stage, from consecutive changes of each customer. A spell
    still running is counted up to ``now`` and reported as ``open``."""
    return time_in_stage_from_spells(spells(rows, now), stages)


def time_in_stage_from_spells(
    spell_days: tuple[Mapping[int, Sequence[float]], Mapping[int, Sequence[float]]],
    stages: Iterable[StageInfo],
) -> list[StageTime]:
    closed, running = spell_days
    result = []
    for s in ordered(stages):
        done, still = list(closed.get(s.id, ())), list(running.get(s.id, ()))
        every = done + still
        result.append(
            StageTime(
                stage=s,
                closed=len(done),
                open=len(still),
                mean_days=_round(sum(every) / len(every)) if every else None,
                median_days=_round(median(every)) if every else None,
                closed_mean_days=_round(sum(done) / len(done)) if done else None,
                closed_median_days=_round(median(done)) if done else None,
            )
        )
    return result


# --- flows ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flow:
    from_stage: int | None  # None: customers entering the model
    to_stage: int
    count: int


def flows(rows: Iterable[ChangeRow], start: dt.datetime, end: dt.datetime) -> list[Flow]:
    """Moves ``from → to`` with ``start <= at < end``, most frequent first."""
    counts: dict[tuple[int | None, int], int] = defaultdict(int)
    for _customer, from_stage, to_stage, at in rows:
        if start <= at < end:
            counts[(from_stage, to_stage)] += 1
    return flows_from_counts(counts.items())


def flows_from_counts(pairs: Iterable[tuple[tuple[int | None, int], int]]) -> list[Flow]:
    result = [Flow(a, b, n) for (a, b), n in pairs if n]
    result.sort(key=lambda f: (-f.count, f.from_stage or 0, f.to_stage))
    return result


# --- cohort retention ----------------------------------------------------------------------


@dataclass
class Cohort:
    month: dt.date
    size: int
    active: list[int] = field(default_factory=list)  # per month offset 0, 1, ...

    @property
    def label(self) -> str:
        return self.month.strftime("%Y-%m")

    @property
    def shares(self) -> list[float | None]:
        return [_pct(n, self.size) for n in self.active]


def _stage_at(
    changes: list[ChangeRow], times: list[dt.datetime], moment: dt.datetime
) -> int | None:
    index = bisect_right(times, moment)
    # The latest change at or before the moment (``times`` ascending).
    return changes[index - 1][2] if index else None


def cohort_retention(
    rows: Iterable[ChangeRow],
    stages: Iterable[StageInfo],
    first_purchase: Mapping[int, dt.date],
    *,
    as_of: dt.date,
    tz: dt.tzinfo,
    order_months: Mapping[int, set[dt.date]] | None = None,
    max_months: int = 12,
    max_cohorts: int = 12,
) -> list[Cohort]:
    """Customers grouped by the month of their first purchase; for each later month
    (0 = the cohort's own month) how many are still active at its end (or at
    ``as_of`` for the running month). Active = not in an exit (churned) stage then —
    a customer not yet placed counts as active — or, given ``order_months``
    (customer → months with an order), bought in that month. The newest
    ``max_cohorts`` cohorts, oldest first: a triangle."""
    churned = {s.id for s in stages if s.churned}
    last_cohort = month_of(as_of)
    first_cohort = month_add(last_cohort, -(max_cohorts - 1))
    members: dict[dt.date, list[int]] = defaultdict(list)
    for customer, day in first_purchase.items():
        month = month_of(day)
        if first_cohort <= month <= last_cohort and day <= as_of:
            members[month].append(customer)
    history = by_customer(rows) if order_months is None else {}
    times = {c: [r[3] for r in changes] for c, changes in history.items()}
    result = []
    for month in sorted(members):
        customers = members[month]
        cohort = Cohort(month=month, size=len(customers))
        for n in range(max_months + 1):
            target = month_add(month, n)
            if target > last_cohort:
                break
            if order_months is not None:
                active = sum(1 for c in customers if target in order_months.get(c, ()))
            else:
                moment = day_end(min(month_last_day(target), as_of), tz) - dt.timedelta(
                    microseconds=1
                )
                active = 0
                for c in customers:
                    changes = history.get(c)
                    stage = _stage_at(changes, times[c], moment) if changes else None
                    active += stage not in churned
            cohort.active.append(active)
        result.append(cohort)
    return result


def cohorts_merge(parts: Iterable[Iterable[Cohort]]) -> list[Cohort]:
    """Cohorts computed over disjoint sets of customers, added up month by month."""
    merged: dict[dt.date, Cohort] = {}
    for part in parts:
        for c in part:
            into = merged.setdefault(c.month, Cohort(month=c.month, size=0))
            into.size += c.size
            if len(into.active) < len(c.active):
                into.active.extend([0] * (len(c.active) - len(into.active)))
            for i, n in enumerate(c.active):
                into.active[i] += n
    return [merged[m] for m in sorted(merged)]
