"""My work does not flood: overdue · today · upcoming, each a page of its own, the kinds
with their counts, a fixed number of queries however many tasks there are — and the
ticked tasks finished, skipped or postponed at once, each checked (the refused ones
said, with why)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kehu.followups.models import Task, TaskStatus
from kehu.followups.selectors import WORK_PAGE_SIZE, my_work
from kehu.followups.services import Refusal, tasks_finish, tasks_postpone
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _tasks(customer, assignee, n, *, days, kind="call", title="回访"):
    """``n`` open tasks due ``days`` from now (negative: overdue), made in one insert."""
    due = timezone.now() + dt.timedelta(days=days)
    return Task.objects.bulk_create(
        Task(
            customer=customer,
            assignee=assignee,
            created_by=assignee,
            kind=kind,
            title=f"{title}{i}",
            due_at=due + dt.timedelta(minutes=i),
        )
        for i in range(n)
    )


@pytest.fixture
def busy(org):
    """The demo's busy salesperson: 45 overdue, a few today, a few this week."""
    customer = make_customer(org.sales, name="老客户")
    today = timezone.localtime().replace(hour=12, minute=0)
    _tasks(customer, org.sales, 45, days=-3)
    Task.objects.create(
        customer=customer, assignee=org.sales, kind="visit", title="今天拜访", due_at=today
    )
    _tasks(customer, org.sales, 3, days=3, kind="gift", title="送礼")
    return customer


def test_sections_are_paged_with_their_counts(org, busy):
    work = my_work(org.sales)
    assert [g.count for g in work.groups] == [45, 1, 3]
    assert len(work.overdue.rows) == WORK_PAGE_SIZE and work.overdue.num_pages == 3
    last = my_work(org.sales, pages={"overdue": 3})
    assert len(last.overdue.rows) == 45 - 2 * WORK_PAGE_SIZE
    assert my_work(org.sales, pages={"overdue": 99}).overdue.page == 3  # past the end
    assert {k.kind: k.count for k in work.kinds} == {"call": 45, "visit": 1, "gift": 3}
    visits = my_work(org.sales, kind="visit")
    assert [g.count for g in visits.groups] == [0, 1, 0] and visits.kind == "visit"


def test_the_page_shows_a_page_per_section_and_the_kinds(org, busy):
    client = client_for(org.sales)
    html = client.get(reverse("followups:my_work")).content.decode()
    assert html.count('name="tasks"') == WORK_PAGE_SIZE + 1 + 3
    assert 'id="group-overdue"' in html and "1 / 3" in html and "overdue_page=2" in html
    assert "电话回访" in html and "礼品关怀" in html and 'id="bulk-form"' in html
    html = client.get(reverse("followups:my_work"), {"kind": "gift"}).content.decode()
    assert html.count('name="tasks"') == 3
    html = client.get(reverse("followups:my_work"), {"overdue_page": "3"}).content.decode()
    assert "3 / 3" in html


def test_a_sections_pager_swaps_that_section_alone(org, busy):
    response = client_for(org.sales).get(
        reverse("followups:my_work"),
        {"overdue_page": "2"},
        headers={"HX-Request": "true", "HX-Target": "group-overdue"},
    )
    html = response.content.decode()
    assert "<html" not in html and "2 / 3" in html
    assert html.count('name="tasks"') == WORK_PAGE_SIZE and "今天拜访" not in html


def test_queries_do_not_grow_with_the_tasks(org, busy, django_assert_max_num_queries):
    client = client_for(org.sales)
    client.get(reverse("followups:my_work"))  # warm the session
    with django_assert_max_num_queries(10):
        client.get(reverse("followups:my_work"))
    # 150 tasks a minute apart: overdue by two days, so that late in the evening the
    # last of them do not reach today (at 21:40 local, yesterday's would).
    _tasks(busy, org.sales, 150, days=-2)
    _tasks(busy, org.sales, 150, days=2, kind="visit")
    with django_assert_max_num_queries(10):
        response = client.get(reverse("followups:my_work"))
    assert response.content.decode().count('name="tasks"') == 2 * WORK_PAGE_SIZE + 1


def test_finishing_several_at_once_reports_the_refused_ones(org, busy):
    mine = list(Task.objects.filter(assignee=org.sales).order_by("id")[:3])
    done_before = mine[2]
    tasks_finish(actor=org.sales, task_ids=[done_before.pk], status="done")
    colleague = make_customer(org.east_sales2, name="同事的")
    (hidden,) = _tasks(colleague, org.east_sales2, 1, days=-1)
    result = tasks_finish(
        actor=org.sales,
        task_ids=[mine[0].pk, mine[1].pk, done_before.pk, hidden.pk, 10**9],
        status="done",
        result="已联系",
    )
    assert result.done == [mine[0].pk, mine[1].pk]
    assert result.refused == {
        done_before.pk: Refusal.FINISHED,
        hidden.pk: Refusal.NOT_FOUND,
        10**9: Refusal.NOT_FOUND,
    }
    assert set(Task.objects.filter(pk__in=result.done).values_list("status", "result")) == {
        (TaskStatus.DONE, "已联系")
    }
    assert Task.objects.get(pk=hidden.pk).status == TaskStatus.OPEN
    busy.refresh_from_db()
    assert busy.last_contact_at is not None


@pytest.mark.parametrize(
    ("role", "reason"),
    [
        ("analyst", "forbidden"),
        ("service", "forbidden"),
        ("west_sales", "not_found"),
        ("east_sales2", "not_found"),
    ],
)
def test_roles_that_may_not_change_the_tasks_are_refused_each(org, busy, role, reason):
    ids = list(Task.objects.values_list("pk", flat=True)[:5])
    for result in (
        tasks_finish(actor=getattr(org, role), task_ids=ids, status="skipped"),
        tasks_postpone(
            actor=getattr(org, role), task_ids=ids, until=timezone.localdate() + dt.timedelta(1)
        ),
    ):
        assert result.done == [] and set(result.refused.values()) == {reason}
    assert Task.objects.filter(status=TaskStatus.OPEN).count() == 49


def test_a_manager_finishes_the_teams_tasks(org, busy):
    ids = list(Task.objects.values_list("pk", flat=True)[:3])
    assert tasks_finish(actor=org.manager, task_ids=ids, status="skipped").done == ids


def test_postponing_keeps_each_tasks_time_of_day(org, busy):
    tasks = list(Task.objects.order_by("id")[:2])
    until = timezone.localdate() + dt.timedelta(days=5)
    result = tasks_postpone(actor=org.sales, task_ids=[t.pk for t in tasks], until=until)
    assert result.done == [t.pk for t in tasks]
    for task in tasks:
        moved = Task.objects.get(pk=task.pk)
        local, before = timezone.localtime(moved.due_at), timezone.localtime(task.due_at)
        assert local.date() == until and local.time() == before.time()
        assert moved.version == task.version + 1
    with pytest.raises(Exception, match="不能早于今天"):
        tasks_postpone(
            actor=org.sales, task_ids=[tasks[0].pk], until=timezone.localdate() - dt.timedelta(1)
        )


def test_the_bulk_bar_with_htmx_answers_the_refreshed_lists(org, busy):
    ids = [str(pk) for pk in Task.objects.order_by("id").values_list("pk", flat=True)[:4]]
    client = client_for(org.sales)
    response = client.post(
        reverse("followups:bulk") + "?overdue_page=1",
        {"tasks": ids, "action": "done"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "已处理 4 项。" in html and 'id="group-overdue"' in html
    assert Task.objects.filter(status=TaskStatus.DONE).count() == 4
    nothing = client.post(
        reverse("followups:bulk"), {"action": "done"}, headers={"HX-Request": "true"}
    )
    assert nothing.status_code == 422 and "请先勾选" in nothing.content.decode()


def test_the_bulk_bar_without_javascript_redirects_back_with_the_report(org, busy):
    colleague = make_customer(org.east_sales2, name="同事的")
    (hidden,) = _tasks(colleague, org.east_sales2, 1, days=-1)
    first = Task.objects.filter(assignee=org.sales).order_by("id").first()
    client = client_for(org.sales)
    back = reverse("followups:my_work") + "?kind=call"
    response = client.post(
        reverse("followups:bulk"),
        {
            "tasks": [first.pk, hidden.pk],
            "action": "postpone",
            "until": (timezone.localdate() + dt.timedelta(days=2)).isoformat(),
            "next": back,
        },
    )
    assert response.status_code == 302 and response["Location"] == back
    html = client.get(back).content.decode()
    assert "已处理 1 项。" in html and "1 项找不到或不是你能看到的" in html
