"""The exit analysis: reasons by each dimension, only the exits the reader may see, the
registered contexts apart, and the win-back rate."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kehu.exits.analysis import ExitQuery, exit_analysis
from kehu.exits.models import ExitReason, ExitRecord
from kehu.exits.registry import register_exit_context, unregister_exit_context
from kehu.exits.services import exit_record
from kehu.exits.winback import winback_rate
from tests.exits.conftest import buy, days_ago
from tests.factories import make_customer


def reason(key: str) -> ExitReason:
    return ExitReason.objects.get(key=key)


@pytest.fixture
def exits(org, engine_off):
    """Three exits of ``sales``'s customers, one of ``west_sales``'s."""
    made = {}
    for name, owner, key, bought in (
        ("甲", org.sales, "price", 400),
        ("乙", org.sales, "price", None),
        ("丙", org.sales, "competitor", 30),
        ("丁", org.west_sales, "service", 1000),
    ):
        customer = make_customer(owner, name=name, source_channel="referral")
        if bought is not None:
            buy(owner, customer, days_ago(bought))
        made[name] = exit_record(
            actor=owner,
            customer=customer,
            reason=reason(key),
            competitor="某某" if key == "competitor" else "",
        )
    return made


def test_reasons_by_tenure_and_owner_as_the_reader_sees_them(org, exits):
    analysis = exit_analysis(org.admin, ExitQuery(by="tenure"))
    assert analysis.total.exits == 4
    assert [r.key for r in analysis.reasons] == ["price", "service", "competitor"]
    bands = {row.key: row.exits for row in analysis.rows}
    assert bands == {"none": 1, "lt3m": 1, "1y_2y": 1, "2y_5y": 1}
    mine = exit_analysis(org.sales, ExitQuery(by="owner"))
    assert mine.total.exits == 3 and [r.label for r in mine.rows] == [org.sales.label]
    assert mine.total.counts[reason("price").pk] == 2
    assert exit_analysis(org.west_manager, ExitQuery()).total.exits == 1


def test_by_month_and_reason_filter(org, exits):
    moved = days_ago(70)
    month = timezone.localtime(moved).date().replace(day=1)
    ExitRecord.objects.filter(pk=exits["甲"].pk).update(at=moved, month=month)
    analysis = exit_analysis(org.admin, ExitQuery(by="month", reason=reason("price").pk))
    assert analysis.total.exits == 2
    assert sum(row.exits for row in analysis.rows) == 2
    assert [row.key for row in analysis.rows] == sorted(
        {month.strftime("%Y-%m"), exits["乙"].month.strftime("%Y-%m")}
    )
    since = exit_analysis(org.admin, ExitQuery(since=(days_ago(10)).date()))
    assert since.total.exits == 3


def test_a_registered_context_is_shown_apart(org, exits):
    held = {exits["丙"].customer_id, exits["丁"].customer_id}
    seen: list[list[int]] = []

    def in_playbook(customer_ids):
        seen.append(sorted(customer_ids))
        return held & set(customer_ids)

    register_exit_context("retention", "离开时正在执行挽留方案", in_playbook)
    try:
        analysis = exit_analysis(org.sales, ExitQuery())
    finally:
        unregister_exit_context("retention")
    [part] = analysis.contexts
    assert part.name == "retention" and part.row.exits == 1  # 丁 is not the reader's
    assert part.row.counts == {reason("competitor").pk: 1}
    assert exits["丁"].customer_id not in seen[0]


def test_the_winback_rate_per_month_of_exit(org, exits):
    buy(org.sales, exits["甲"].customer, exits["甲"].at + dt.timedelta(hours=1))
    rate = winback_rate(org.admin, months=3)
    assert len(rate.months) == 3
    assert rate.exits == 4 and rate.won_back == 1 and rate.rate == pytest.approx(0.25)
