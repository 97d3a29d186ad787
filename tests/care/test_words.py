"""The care agenda's lines and tasks read in the reader's language, whatever language the
job that built them ran in; lines and tasks written with words keep them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from kehu.care.models import AgendaDay, CareItem, Reason, RuleKind
from kehu.care.services import agenda_build
from kehu.followups.models import Task
from tests.api.conftest import api_client_for
from tests.care.factories import rule
from tests.factories import make_customer

pytestmark = pytest.mark.django_db
D = dt.date
DAY = D(2026, 9, 25)  # 中秋: 八月十五 of lunar 2026
ZH_NOTE = "农历生日（八月十五）"
EN_NOTE = "Lunar birthday (month 8, day 15)"


def _get(client: Client, url: str, language: str) -> str:
    client.cookies["django_language"] = language
    return client.get(url).content.decode()


@pytest.fixture
def built(org):
    """A lunar birthday on 中秋, its line and task built by the job while English was
    active (a worker's language is whatever it happens to be)."""
    rule(RuleKind.BIRTHDAY, name="生日关怀", create_task=True, task_kind="gift")
    customer = make_customer(
        org.sales, name="寿星", birthday=D(1990, 10, 3), birthday_is_lunar=True
    )
    with translation.override("en"):
        result = agenda_build(day=DAY)
    assert (result.items, result.tasks) == (1, 1)
    return customer


def test_an_agenda_line_built_in_english_reads_in_chinese_and_back(org, built):
    item = CareItem.objects.get(customer=built)
    assert item.note == "" and item.params == {"month": 8, "day": 15}
    assert item.note_text == ZH_NOTE
    client = Client()
    client.force_login(org.sales)
    url = reverse("care:agenda") + f"?date={DAY.isoformat()}"
    chinese = _get(client, url, "zh-hans")
    assert ZH_NOTE in chinese and EN_NOTE not in chinese
    english = _get(client, url, "en")
    assert EN_NOTE in english and ZH_NOTE not in english
    card = _get(client, reverse("customers:detail", args=[built.pk]), "en")
    assert EN_NOTE in card

    api = api_client_for(org.sales)
    for language, note in (("en", EN_NOTE), ("zh-hans", ZH_NOTE)):
        body = api.get(
            "/api/v1/care/agenda", {"date": DAY.isoformat()}, **{"Accept-Language": language}
        ).json()
        assert [row["note"] for row in body["items"]] == [note]


def test_a_care_task_reads_in_its_readers_language(org, built):
    task = Task.objects.get(customer=built)
    assert (task.title, task.notes, task.message) == ("", "", "care.item")
    assert task.title_text == f"生日关怀：{ZH_NOTE}" and task.notes_text == ZH_NOTE
    with translation.override("en"):
        assert task.title_text == f"生日关怀: {EN_NOTE}"  # the rule's name is as typed
    api = api_client_for(org.sales)
    read = api.get(f"/api/v1/tasks/{task.pk}", **{"Accept-Language": "en"}).json()
    assert (read["title"], read["notes"]) == (f"生日关怀: {EN_NOTE}", EN_NOTE)
    client = Client()
    client.force_login(org.sales)
    assert timezone.localtime(task.due_at).date() == DAY  # overdue by now: on my work
    english = _get(client, reverse("followups:my_work"), "en")
    chinese = _get(client, reverse("followups:my_work"), "zh-hans")
    assert EN_NOTE in english and ZH_NOTE not in english
    assert ZH_NOTE in chinese


@pytest.mark.parametrize(
    ("reason", "params", "zh", "en"),
    [
        (
            Reason.BIRTHDAY,
            {"month": 9, "day": 25},
            "公历生日（9月25日）",
            "Gregorian birthday (9/25)",
        ),
        (
            Reason.LUNAR_BIRTHDAY,
            {"month": 6, "day": 8, "leap": True, "no_leap": True},
            "农历生日（闰六月初八；本年无闰六月，按六月初八）",
            "Lunar birthday (leap month 6, day 8; there is no leap month 6 this year, "
            "so it falls on month 6, day 8)",
        ),
        (
            Reason.FESTIVAL,
            {"festivals": ["春节", "情人节"]},
            "节日：春节、情人节",
            "Festival: 春节, 情人节",
        ),
        (
            Reason.CADENCE,
            {"idle": 90, "days": 90},
            "已 90 天未联系（回访周期 90 天）",
            "Not contacted for 90 days (follow-up interval 90 days)",
        ),
        (
            Reason.CADENCE,
            {"days": 30},
            "从未联系，回访周期 30 天",
            "Never contacted; follow-up interval 30 days",
        ),
        (
            Reason.ANNIVERSARY,
            {"kind": "first_purchase", "years": 2, "date": "2024-09-25"},
            "首次购买 2 周年（2024-09-25）",
            None,
        ),
    ],
)
def test_every_kind_of_line_reads_in_both_languages(reason, params, zh, en):
    from kehu.care.texts import care_note

    assert care_note(reason, params) == zh
    with translation.override("en"):
        english = care_note(reason, params)
    if en is not None:
        assert english == en
    assert english != zh


def test_lines_written_with_words_keep_them(org):
    """A line built before lines kept their facts shows its words; a task made from it
    later (a day whose build is resumed) is worded the same way."""
    rule_ = rule(RuleKind.BIRTHDAY, name="生日关怀", create_task=True, task_kind="gift")
    customer = make_customer(org.sales, name="寿星", birthday=D(1990, 9, 25))
    CareItem.objects.create(
        customer=customer,
        rule=rule_,
        occurs_on=DAY,
        agenda_date=DAY,
        reason=Reason.BIRTHDAY,
        note="公历生日（9月25日）",
        created_at=timezone.now(),
    )
    AgendaDay.objects.create(date=DAY, started_at=timezone.now())
    agenda_build(day=DAY)
    item = CareItem.objects.get(customer=customer)
    task = Task.objects.get(customer=customer)
    assert item.params is None and task.message == ""
    assert task.title == "生日关怀：公历生日（9月25日）" and task.notes == "公历生日（9月25日）"
    with translation.override("en"):
        assert item.note_text == "公历生日（9月25日）" and task.title_text == task.title
