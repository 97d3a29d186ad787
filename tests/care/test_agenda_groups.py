"""The care agenda does not flood: grouped by reason (birthdays, festivals…), each group
a page of its own, a fixed number of queries; the ticked lines get their tasks made or
done at once, each line checked (the refused ones said)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from kehu.care.items import ItemRefusal, care_items_done, care_items_tasks_create
from kehu.care.models import CareItem, RuleKind
from kehu.care.selectors import GROUP_PAGE_SIZE, agenda_groups
from kehu.care.services import agenda_build
from kehu.customers.models import Customer
from kehu.followups.models import Task, TaskStatus
from kehu.followups.services import Refusal
from tests.care.factories import rule

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 10, 1)  # 国庆
URL = "/care/"  # a literal: reverse() here would load every view at collection


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _customers(owner, n, *, birthday=None, prefix="客户"):
    return Customer.objects.bulk_create(
        Customer(
            name=f"{prefix}{i}",
            kind="person",
            owner=owner,
            team=owner.team if owner else None,
            birthday=birthday,
        )
        for i in range(n)
    )


@pytest.fixture
def day(org):
    """国庆: 40 of the salesperson's customers on the festival, 3 with a birthday (as
    lines without tasks: the rules make none), a colleague's and a pool customer."""
    rule(RuleKind.FESTIVAL, name="节日")
    rule(RuleKind.BIRTHDAY, name="生日")
    _customers(org.sales, 37)
    _customers(org.sales, 3, birthday=dt.date(1990, 10, 1), prefix="寿星")
    _customers(org.east_sales2, 1, prefix="同事的")
    _customers(None, 1, prefix="公海的")
    agenda_build(day=DAY)
    return DAY


def test_lines_are_grouped_by_reason_and_paged_per_group(org, day):
    agenda = agenda_groups(org.sales, day)
    assert [(g.reason, g.count) for g in agenda.groups] == [("birthday", 3), ("festival", 41)]
    festival = agenda.groups[1]
    assert len(festival.rows) == GROUP_PAGE_SIZE and festival.num_pages == 2
    second = agenda_groups(org.sales, day, pages={"festival": 2}).groups[1]
    assert len(second.rows) == 41 - GROUP_PAGE_SIZE
    only = agenda_groups(org.sales, day, reason="birthday")
    assert [g.reason for g in only.groups] == ["birthday"]


def test_the_page_and_a_groups_pager(org, day):
    client = client_for(org.sales)
    html = client.get(URL, {"date": "2026-10-01"}).content.decode()
    assert 'id="care-birthday"' in html and 'id="care-festival"' in html
    assert html.count('name="items"') == 3 + GROUP_PAGE_SIZE
    assert "festival_page=2" in html and 'id="care-bulk"' in html
    part = client.get(
        URL,
        {"date": "2026-10-01", "festival_page": "2"},
        headers={"HX-Request": "true", "HX-Target": "care-festival"},
    ).content.decode()
    assert "<html" not in part and "2 / 2" in part and "<strong>生日</strong>" not in part
    assert part.count('name="items"') == 41 - GROUP_PAGE_SIZE
    assert client.get(URL, {"date": "2026-10-01", "festival_page": "3"}).status_code == 404


def test_a_preview_day_is_grouped_too_and_offers_no_boxes(org):
    rule(RuleKind.BIRTHDAY, name="生日")
    _customers(org.sales, 30, birthday=dt.date(1990, 12, 24))
    agenda = agenda_groups(org.sales, dt.date(2026, 12, 24))
    assert not agenda.stored and [(g.reason, g.count) for g in agenda.groups] == [("birthday", 30)]
    html = client_for(org.sales).get(URL, {"date": "2026-12-24"}).content.decode()
    assert 'name="items"' not in html and "1 / 2" in html


def test_queries_do_not_grow_with_the_lines(org, day, django_assert_max_num_queries):
    client = client_for(org.sales)
    client.get(URL, {"date": "2026-10-01"})
    with django_assert_max_num_queries(14):
        client.get(URL, {"date": "2026-10-01"})
    _customers(org.sales, 150, birthday=dt.date(1985, 10, 1), prefix="又一个")
    CareItem.objects.all().delete()
    agenda_build(day=DAY)
    with django_assert_max_num_queries(14):
        response = client.get(URL, {"date": "2026-10-01"})
    assert response.content.decode().count('name="items"') == 2 * GROUP_PAGE_SIZE


def _items(**filters):
    return list(CareItem.objects.filter(**filters).order_by("id").values_list("pk", flat=True))


def test_tasks_for_the_ticked_lines_each_checked(org, day):
    mine = _items(customer__owner=org.sales, reason="birthday")
    colleague = _items(customer__owner=org.east_sales2)
    pool = _items(customer__owner__isnull=True)
    result = care_items_tasks_create(actor=org.sales, item_ids=[*mine, *colleague, *pool])
    assert result.done == mine
    assert result.refused == {colleague[0]: Refusal.NOT_FOUND, pool[0]: Refusal.FORBIDDEN}
    tasks = Task.objects.filter(pk__in=CareItem.objects.filter(pk__in=mine).values("task"))
    assert tasks.count() == 3 and {t.assignee_id for t in tasks} == {org.sales.pk}
    assert {t.title_text.split("：")[0] for t in tasks} == {"生日"}
    again = care_items_tasks_create(actor=org.sales, item_ids=mine)
    assert again.done == [] and set(again.refused.values()) == {ItemRefusal.HAS_TASK}
    # a manager gives the pool customer's task, the team's owner keeps theirs
    by_manager = care_items_tasks_create(actor=org.manager, item_ids=[*pool, *colleague])
    assert by_manager.done == [*pool, *colleague]
    item = CareItem.objects.select_related("task").get(pk=colleague[0])
    assert item.task.assignee == org.east_sales2


def test_the_ticked_lines_tasks_done(org, day):
    mine = _items(customer__owner=org.sales, reason="birthday")
    care_items_tasks_create(actor=org.sales, item_ids=mine[:2])
    result = care_items_done(actor=org.sales, item_ids=mine)
    assert result.done == mine[:2] and result.refused == {mine[2]: ItemRefusal.NO_TASK}
    statuses = set(
        Task.objects.filter(
            pk__in=CareItem.objects.filter(pk__in=mine[:2]).values("task")
        ).values_list("status", flat=True)
    )
    assert statuses == {TaskStatus.DONE}
    again = care_items_done(actor=org.sales, item_ids=mine[:2])
    assert set(again.refused.values()) == {Refusal.FINISHED}


def test_the_bulk_bar_posts_and_reports(org, day):
    mine = _items(customer__owner=org.sales, reason="birthday")
    colleague = _items(customer__owner=org.east_sales2)
    client = client_for(org.sales)
    response = client.post(
        reverse("care:items") + "?date=2026-10-01",
        {"items": [*mine, *colleague], "action": "tasks"},
    )
    assert response.status_code == 302 and response["Location"] == URL + "?date=2026-10-01"
    html = client.get(response["Location"]).content.decode()
    assert "已处理 3 项。" in html and "1 项找不到或不是你能看到的" in html
    done = client.post(reverse("care:items"), {"items": mine, "action": "done"}, follow=True)
    assert "已处理 3 项。" in done.content.decode()


@pytest.mark.parametrize("role", ["analyst"])
def test_read_only_roles_are_refused(org, day, role):
    items = _items()
    response = client_for(getattr(org, role)).post(
        reverse("care:items"), {"items": items[:3], "action": "tasks"}
    )
    assert response.status_code == 403
    assert not Task.objects.exists()


def test_the_service_team_takes_the_tasks_themselves(org, day):
    mine = _items(customer__owner=org.sales, reason="birthday")
    result = care_items_tasks_create(actor=org.service, item_ids=mine)
    assert result.done == mine
    assert set(Task.objects.values_list("assignee_id", flat=True)) == {org.service.pk}
    finished = care_items_done(actor=org.west_sales, item_ids=mine)
    assert set(finished.refused.values()) == {Refusal.NOT_FOUND}
