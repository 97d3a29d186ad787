"""The daily care agenda: who is due for which rule, tasks, idempotence, resumption."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest

from kehu.care import services
from kehu.care.agenda import agenda_compute
from kehu.care.models import AgendaDay, AnniversaryKind, CadenceRule, CareItem, Reason, RuleKind
from kehu.care.services import agenda_build, agenda_days_due
from kehu.customers.models import Customer, Tag
from kehu.followups.models import Task, TaskKind
from tests.care.factories import at, rule, set_fields
from tests.factories import make_customer

D = dt.date
pytestmark = pytest.mark.django_db


def _reasons(day: dt.date) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    for chunk in agenda_compute(day, Customer.objects.all()):
        for e in chunk:
            found.setdefault(e.customer_id, []).append((e.reason, e.note))
    return found


def test_solar_and_lunar_birthdays(org) -> None:
    rule(RuleKind.BIRTHDAY)
    solar = make_customer(org.sales, name="公历", birthday=D(1990, 9, 25))
    # Born 1990-10-03 = 八月十五 (lunar 1990): celebrates 中秋 2026 = 2026-09-25.
    lunar = make_customer(org.sales, name="农历", birthday=D(1990, 10, 3), birthday_is_lunar=True)
    lunar_elsewhere = make_customer(
        org.sales, name="农历别日", birthday=D(1990, 9, 25), birthday_is_lunar=True
    )
    found = _reasons(D(2026, 9, 25))
    assert found[solar.pk][0][0] == Reason.BIRTHDAY
    assert found[lunar.pk] == [(Reason.LUNAR_BIRTHDAY, "农历生日（八月十五）")]
    assert lunar_elsewhere.pk not in found


def test_lunar_birthday_on_a_missing_30th_says_so(org) -> None:
    rule(RuleKind.BIRTHDAY)
    born = make_customer(org.sales, birthday=D(2023, 1, 21), birthday_is_lunar=True)  # 腊月三十
    found = _reasons(D(2026, 2, 16))  # 2025 腊月 has 29 days
    assert found[born.pk] == [(Reason.LUNAR_BIRTHDAY, "农历生日（本年该月无三十日，提前至廿九）")]


def test_leap_month_birthday_in_a_year_without_it(org) -> None:
    rule(RuleKind.BIRTHDAY)
    born = make_customer(org.sales, birthday=D(2025, 8, 1), birthday_is_lunar=True)  # 闰六月初八
    from kehu.care import lunar

    day = lunar.lunar_to_solar(2026, 6, 8)
    ((reason, note),) = _reasons(day)[born.pk]
    assert reason == Reason.LUNAR_BIRTHDAY
    assert "本年无闰六月" in note and "六月初八" in note


def test_29_february_birthday_on_28_february(org) -> None:
    rule(RuleKind.BIRTHDAY)
    born = make_customer(org.sales, birthday=D(2000, 2, 29))
    assert _reasons(D(2026, 2, 28))[born.pk] == [
        (Reason.BIRTHDAY, "公历生日（本年无2月29日，提前至2月28日）")
    ]
    assert born.pk not in _reasons(D(2026, 3, 1))


def test_festivals_lunar_and_solar_and_eve(org) -> None:
    rule(RuleKind.FESTIVAL)
    customer = make_customer(org.sales)
    assert _reasons(D(2026, 2, 17))[customer.pk] == [(Reason.FESTIVAL, "节日：春节")]
    assert _reasons(D(2026, 9, 25))[customer.pk] == [(Reason.FESTIVAL, "节日：中秋")]
    assert _reasons(D(2026, 2, 16))[customer.pk] == [(Reason.FESTIVAL, "节日：除夕")]
    assert _reasons(D(2026, 3, 8))[customer.pk] == [(Reason.FESTIVAL, "节日：妇女节")]
    assert _reasons(D(2026, 3, 9)) == {}


def test_festival_rule_for_a_tag_and_chosen_festivals(org) -> None:
    vip = Tag.objects.create(name="VIP")
    rule(RuleKind.FESTIVAL, tag=vip, festivals=["国庆"])
    tagged = make_customer(org.sales, name="甲", tags=[vip])
    make_customer(org.sales, name="乙")
    assert list(_reasons(D(2026, 10, 1))) == [tagged.pk]
    assert _reasons(D(2026, 9, 25)) == {}  # 中秋 is not chosen


def test_cadence_by_tag_and_default(org) -> None:
    rule(RuleKind.CADENCE)
    vip = Tag.objects.create(name="VIP")
    CadenceRule.objects.create(tag=vip, days=14)
    day = D(2026, 6, 30)
    vip_late = set_fields(make_customer(org.sales, tags=[vip]), last_contact_at=at(D(2026, 6, 15)))
    vip_fresh = set_fields(make_customer(org.sales, tags=[vip]), last_contact_at=at(D(2026, 6, 20)))
    plain = set_fields(make_customer(org.sales), last_contact_at=at(D(2026, 4, 1)))  # 90 days
    plain_fresh = set_fields(make_customer(org.sales), last_contact_at=at(D(2026, 4, 2)))
    never = set_fields(make_customer(org.sales), created_at=at(D(2026, 1, 1)))
    found = _reasons(day)
    assert found[vip_late.pk][0][0] == Reason.CADENCE
    assert vip_fresh.pk not in found
    assert found[plain.pk] == [(Reason.CADENCE, "已 90 天未联系（回访周期 90 天）")]
    assert plain_fresh.pk not in found
    assert "从未联系" in found[never.pk][0][1]


def test_cadence_by_star_tier_comes_first(org) -> None:
    from decimal import Decimal

    from kehu.value.models import CustomerValue, RunStatus, ScoreRun

    rule(RuleKind.CADENCE)
    day = D(2026, 6, 30)
    star = set_fields(make_customer(org.sales), last_contact_at=at(D(2026, 6, 15)))  # 15 days
    unscored = set_fields(make_customer(org.sales), last_contact_at=at(D(2026, 6, 15)))
    run = ScoreRun.objects.create(
        as_of=day, started_at=at(day), finished_at=at(day), status=RunStatus.SUCCEEDED
    )
    CustomerValue.objects.create(
        run=run, customer=star, recency_days=1, r=5, f=5, m=5, rfm_score=15, rfm_segment="x",
        orders=20, revenue=Decimal("30000"), segment="top", tier=5, risk=0.1,
        money_at_stake=Decimal("0"),
    )  # fmt: skip
    found = _reasons(day)
    assert found[star.pk] == [(Reason.CADENCE, "已 15 天未联系（回访周期 14 天）")]
    assert unscored.pk not in found  # the default cadence: 90 days


def test_anniversaries(org) -> None:
    rule(RuleKind.ANNIVERSARY, anniversary=AnniversaryKind.MEMBERSHIP)
    member = set_fields(make_customer(org.sales), created_at=at(D(2023, 5, 20)))
    found = _reasons(D(2026, 5, 20))
    assert found[member.pk] == [(Reason.ANNIVERSARY, "成为客户 3 周年（2023-05-20）")]


def test_first_purchase_anniversary(org) -> None:
    from decimal import Decimal

    from kehu.orders.models import Order

    rule(RuleKind.ANNIVERSARY, anniversary=AnniversaryKind.FIRST_PURCHASE)
    buyer = make_customer(org.sales)
    Order.objects.create(customer=buyer, ordered_at=at(D(2024, 7, 1)), total=Decimal("10.00"))
    Order.objects.create(customer=buyer, ordered_at=at(D(2025, 7, 2)), total=Decimal("10.00"))
    assert "首次购买 2 周年" in _reasons(D(2026, 7, 1))[buyer.pk][0][1]
    assert _reasons(D(2026, 7, 2)) == {}


def test_visits_every_n_days_for_a_tag(org) -> None:
    key = Tag.objects.create(name="重要客户")
    rule(RuleKind.VISIT, tag=key, every_days=30)
    customer = make_customer(org.sales, tags=[key])
    days = [D(2026, 1, 1) + dt.timedelta(days=n) for n in range(60)]
    hits = [d for d in days if customer.pk in _reasons(d)]
    assert len(hits) == 2 and (hits[1] - hits[0]).days == 30


def test_build_twice_creates_nothing_twice(org) -> None:
    rule(RuleKind.FESTIVAL, create_task=True, task_kind="greeting")
    owned = make_customer(org.sales, name="有负责人")
    pool = set_fields(make_customer(None, name="公海客户"), team=org.east)
    first = agenda_build(day=D(2026, 2, 17))
    assert (first.items, first.tasks) == (2, 2)
    again = agenda_build(day=D(2026, 2, 17))
    assert (again.items, again.tasks) == (0, 0)
    assert CareItem.objects.count() == 2 and Task.objects.count() == 2
    tasks = {t.customer_id: t for t in Task.objects.all()}
    assert tasks[owned.pk].assignee == org.sales
    assert tasks[pool.pk].assignee == org.manager  # the team's manager for pool customers
    assert tasks[owned.pk].kind == TaskKind.CARE
    assert AgendaDay.objects.get(date=D(2026, 2, 17)).done_at is not None


def test_killed_half_way_resumes_without_doubles(org, monkeypatch) -> None:
    rule(RuleKind.FESTIVAL, create_task=True, task_kind="call")
    for n in range(7):
        make_customer(org.sales, name=f"客户{n}")
    monkeypatch.setattr("kehu.care.agenda.CHUNK", 3)
    monkeypatch.setattr(services, "TASK_CHUNK", 2)
    real = services._items_insert
    calls = {"n": 0}

    def dies_on_second(entries, now):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("worker killed")
        return real(entries, now)

    with mock.patch.object(services, "_items_insert", dies_on_second), pytest.raises(SystemExit):
        agenda_build(day=D(2026, 10, 1))
    assert CareItem.objects.count() == 3 and Task.objects.count() == 0
    assert AgendaDay.objects.get(date=D(2026, 10, 1)).done_at is None

    real_insert = services._tasks_insert
    seen = {"n": 0}

    def tasks_die(rows):  # dies after the first task chunk committed
        seen["n"] += 1
        if seen["n"] == 2:
            raise SystemExit("killed again")
        return real_insert(rows)

    with mock.patch.object(services, "_tasks_insert", tasks_die), pytest.raises(SystemExit):
        agenda_build(day=D(2026, 10, 1))
    assert CareItem.objects.count() == 7 and Task.objects.count() == 2

    agenda_build(day=D(2026, 10, 1))
    assert CareItem.objects.count() == 7
    assert Task.objects.count() == 7
    assert CareItem.objects.filter(task__isnull=True).count() == 0
    assert len(set(Task.objects.values_list("customer_id", flat=True))) == 7


def test_job_builds_missed_days_once(org) -> None:
    from kehu.jobs.schedule import job_run

    rule(RuleKind.FESTIVAL)
    make_customer(org.sales)
    AgendaDay.objects.create(
        date=D(2026, 9, 28), started_at=at(D(2026, 9, 28)), done_at=at(D(2026, 9, 28))
    )
    assert agenda_days_due(D(2026, 10, 1)) == [D(2026, 9, 29), D(2026, 9, 30), D(2026, 10, 1)]
    with mock.patch("kehu.care.tasks.timezone.localdate", return_value=D(2026, 10, 1)):
        run = job_run("care_agenda")
        assert run is not None and run.status == "ok"
        assert CareItem.objects.filter(agenda_date=D(2026, 10, 1)).count() == 1
        assert agenda_days_due(D(2026, 10, 1)) == []
        job_run("care_agenda")
    assert CareItem.objects.count() == 1


def test_deleted_customers_are_left_out(org) -> None:
    rule(RuleKind.FESTIVAL)
    gone = set_fields(make_customer(org.sales), deleted_at=at(D(2026, 1, 1)))
    assert gone.pk not in _reasons(D(2026, 10, 1))


def test_days_before_lists_ahead(org) -> None:
    rule(RuleKind.BIRTHDAY, days_before=3, create_task=True, task_kind="gift")
    born = make_customer(org.sales, birthday=D(1980, 10, 4))
    agenda_build(day=D(2026, 10, 1))
    item = CareItem.objects.get(customer=born)
    assert (item.agenda_date, item.occurs_on) == (D(2026, 10, 1), D(2026, 10, 4))
    assert item.task.kind == TaskKind.GIFT
