"""The lifecycle analytics arithmetic on hand-made histories."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kehu.core.days import day_end
from kehu.lifecycle import stats
from kehu.lifecycle.stats import StageInfo

TZ = ZoneInfo("Asia/Shanghai")
A, B, C, X = 1, 2, 3, 9  # 识别 → 获取 → 发展, and 退出 (an exit stage)
STAGES = [
    StageInfo(X, "exit", "退出", position=9, churned=True),
    StageInfo(A, "identify", "识别", position=1),
    StageInfo(C, "develop", "发展", position=3),
    StageInfo(B, "acquire", "获取", position=2),
]


def at(day: int, month: int = 1, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=TZ)


# customer 1: A (Jan 1) → B (Jan 5) → C (Jan 15)
# customer 2: A (Jan 2) → X (Jan 10) → B (Feb 1, won back)
# customer 3: A (Jan 3), still there
HISTORY: list[stats.ChangeRow] = [
    (1, None, A, at(1)),
    (2, None, A, at(2)),
    (3, None, A, at(3)),
    (1, A, B, at(5)),
    (2, A, X, at(10)),
    (1, B, C, at(15)),
    (2, X, B, at(1, 2)),
]


def test_distribution_at_past_dates_uses_the_latest_change_at_or_before() -> None:
    assert stats.distribution_at(HISTORY, dt.date(2025, 12, 31), TZ) == {}
    assert stats.distribution_at(HISTORY, dt.date(2026, 1, 4), TZ) == {A: 3}
    assert stats.distribution_at(HISTORY, dt.date(2026, 1, 10), TZ) == {A: 1, B: 1, X: 1}
    assert stats.distribution_at(HISTORY, dt.date(2026, 3, 1), TZ) == {A: 1, B: 1, C: 1}


def test_a_change_late_in_the_day_counts_for_that_day_in_the_business_time_zone() -> None:
    late = [(1, None, A, dt.datetime(2026, 1, 1, 23, 30, tzinfo=TZ))]
    assert stats.distribution_at(late, dt.date(2026, 1, 1), TZ) == {A: 1}
    # 23:30 in Shanghai is 15:30 UTC: given in UTC it is the same instant.
    utc = [(1, None, A, dt.datetime(2026, 1, 1, 15, 30, tzinfo=dt.UTC))]
    assert stats.distribution_at(utc, dt.date(2026, 1, 1), TZ) == {A: 1}


def test_distribution_over_time_per_week_and_month() -> None:
    weeks = stats.buckets(dt.date(2026, 1, 1), dt.date(2026, 1, 20), "week")
    assert [b.label for b in weeks] == ["2026-W01", "2026-W02", "2026-W03", "2026-W04"]
    assert weeks[0].first == dt.date(2026, 1, 1) and weeks[-1].last == dt.date(2026, 1, 20)
    series = stats.distribution_over_time(HISTORY, weeks, TZ)
    assert series[0] == {A: 3}  # Sunday Jan 4
    assert series[1] == {A: 1, B: 1, X: 1}  # Sunday Jan 11
    assert series[2] == {A: 1, C: 1, X: 1}  # Sunday Jan 18
    months = stats.buckets(dt.date(2025, 12, 15), dt.date(2026, 2, 10), "month")
    assert [b.label for b in months] == ["2025-12", "2026-01", "2026-02"]
    assert stats.distribution_over_time(HISTORY, months, TZ) == [
        {},
        {A: 1, C: 1, X: 1},
        {A: 1, B: 1, C: 1},
    ]


def test_distribution_from_daily_flows_matches_the_history() -> None:
    flows = [(row[3], row[1], row[2], 1) for row in HISTORY]
    moments = [day_end(dt.date(2026, 1, d), TZ) for d in (4, 10, 31)]
    assert stats.distribution_from_flows(flows, moments) == stats.distribution_series(
        HISTORY, moments
    )


def test_buckets_reject_unknown_units_and_pick_a_sensible_default() -> None:
    with pytest.raises(ValueError):
        stats.buckets(dt.date(2026, 1, 1), dt.date(2026, 1, 2), "year")
    assert len(stats.buckets(dt.date(2026, 1, 1), dt.date(2026, 1, 3), "day")) == 3
    assert stats.bucket_for(dt.date(2026, 1, 1), dt.date(2026, 1, 31)) == "day"
    assert stats.bucket_for(dt.date(2026, 1, 1), dt.date(2026, 6, 30)) == "week"
    assert stats.bucket_for(dt.date(2024, 1, 1), dt.date(2026, 6, 30)) == "month"


def test_funnel_counts_who_ever_reached_each_stage_and_who_went_on() -> None:
    steps = stats.funnel(HISTORY, STAGES)
    assert [s.stage.key for s in steps] == ["identify", "acquire", "develop"]  # no exit stage
    assert [s.reached for s in steps] == [3, 2, 1]
    assert [s.share for s in steps] == [100.0, 66.7, 33.3]
    # 2 of 3 went from 识别 to 获取; 1 of 2 from 获取 to 发展; the last step has no next.
    assert [s.to_next for s in steps] == [66.7, 50.0, None]


def test_funnel_of_an_empty_history() -> None:
    steps = stats.funnel([], STAGES)
    assert [(s.reached, s.share, s.to_next) for s in steps] == [
        (0, None, None),
        (0, None, None),
        (0, None, None),
    ]


def test_time_in_stage_counts_open_spells_up_to_now_and_flags_them() -> None:
    now = at(1, 3)  # March 1
    times = {t.stage.id: t for t in stats.time_in_stage(HISTORY, STAGES, now)}
    a = times[A]  # closed: 4 days (c1), 8 days (c2); open: c3 since Jan 3 = 57 days
    assert (a.closed, a.open) == (2, 1)
    assert (a.closed_mean_days, a.closed_median_days) == (6.0, 6.0)
    assert (a.mean_days, a.median_days) == (23.0, 8.0)
    b = times[B]  # closed: 10 days (c1); open: c2 since Feb 1 = 28 days
    assert (b.closed, b.open, b.mean_days, b.closed_mean_days) == (1, 1, 19.0, 10.0)
    x = times[X]
    assert (x.closed, x.open, x.mean_days) == (1, 0, 22.0)
    assert [t.stage.id for t in stats.time_in_stage([], STAGES, now)] == [A, B, C, X]
    assert stats.time_in_stage([], STAGES, now)[0].mean_days is None


def test_flows_between_stages_over_a_period() -> None:
    january = stats.flows(HISTORY, at(4, 1, 0), at(1, 2, 0))
    assert january == [
        stats.Flow(A, B, 1),
        stats.Flow(A, X, 1),
        stats.Flow(B, C, 1),
    ]
    everything = stats.flows(HISTORY, at(1, 1, 0), at(1, 3, 0))
    assert everything[0] == stats.Flow(None, A, 3)
    assert stats.Flow(X, B, 1) in everything
    assert stats.flows(HISTORY, at(1, 3), at(1, 4)) == []


def test_cohort_retention_by_stage_and_by_orders() -> None:
    first = {1: dt.date(2026, 1, 1), 2: dt.date(2026, 1, 2), 3: dt.date(2026, 2, 3)}
    cohorts = stats.cohort_retention(HISTORY, STAGES, first, as_of=dt.date(2026, 3, 15), tz=TZ)
    assert [(c.label, c.size) for c in cohorts] == [("2026-01", 2), ("2026-02", 1)]
    # January: customer 2 was in 退出 at the end of January, won back in February.
    assert cohorts[0].active == [1, 2, 2]
    assert cohorts[0].shares == [50.0, 100.0, 100.0]
    assert cohorts[1].active == [1, 1]  # a triangle: one month fewer
    months = {1: {dt.date(2026, 1, 1), dt.date(2026, 3, 1)}, 2: {dt.date(2026, 1, 1)}}
    by_orders = stats.cohort_retention(
        HISTORY,
        STAGES,
        first,
        as_of=dt.date(2026, 3, 15),
        tz=TZ,
        order_months=months,
    )
    assert by_orders[0].active == [2, 0, 1]
    assert by_orders[1].active == [0, 0]


def test_cohorts_leave_out_months_before_the_window_and_future_purchases() -> None:
    first = {1: dt.date(2024, 1, 1), 2: dt.date(2026, 4, 1)}
    assert stats.cohort_retention(HISTORY, STAGES, first, as_of=dt.date(2026, 3, 15), tz=TZ) == []


def test_month_arithmetic() -> None:
    assert stats.month_add(dt.date(2026, 11, 1), 3) == dt.date(2027, 2, 1)
    assert stats.month_add(dt.date(2026, 1, 1), -1) == dt.date(2025, 12, 1)
    assert stats.month_last_day(dt.date(2028, 2, 1)) == dt.date(2028, 2, 29)


def test_chunked_parts_add_up_to_the_whole() -> None:
    first = {1: dt.date(2026, 1, 1), 2: dt.date(2026, 1, 2), 3: dt.date(2026, 2, 3)}
    now = at(1, 3)
    part1 = [r for r in HISTORY if r[0] == 1]
    part2 = [r for r in HISTORY if r[0] != 1]
    counts = stats.FunnelCounts()
    counts.add(stats.first_reached(part1), STAGES).add(stats.first_reached(part2), STAGES)
    assert counts.steps(STAGES) == stats.funnel(HISTORY, STAGES)
    closed: dict[int, list[float]] = {}
    running: dict[int, list[float]] = {}
    for part in (part1, part2):
        c, r = stats.spells(part, now)
        for k, v in c.items():
            closed.setdefault(k, []).extend(v)
        for k, v in r.items():
            running.setdefault(k, []).extend(v)
    assert stats.time_in_stage_from_spells((closed, running), STAGES) == stats.time_in_stage(
        HISTORY, STAGES, now
    )
    kw = {"as_of": dt.date(2026, 3, 15), "tz": TZ}
    merged = stats.cohorts_merge(
        [
            stats.cohort_retention(part1, STAGES, {1: first[1]}, **kw),  # type: ignore[arg-type]
            stats.cohort_retention(part2, STAGES, {2: first[2], 3: first[3]}, **kw),  # type: ignore[arg-type]
        ]
    )
    assert merged == stats.cohort_retention(HISTORY, STAGES, first, **kw)  # type: ignore[arg-type]
