"""A task's visibility follows its customer: after a transfer the previous owner no
longer sees the customer's tasks (lists, the API, the calendar feed, reminders), and a
transfer moves the open tasks to the new owner unless told not to."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from kehu.customers.access import user_sees_customer_q, visibility_q
from kehu.customers.models import Customer
from kehu.customers.ownership import (
    customer_transfer,
    pool_claim,
    pool_release,
    user_customers_transfer,
)
from kehu.followups.models import Notification, Task, TaskStatus
from kehu.followups.reminders import reminders_send
from kehu.followups.selectors import my_work, tasks_visible_to
from kehu.followups.services import calendar_feed_create, task_create, task_finish
from tests.api.conftest import api_client_for
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db


def _task(actor, customer, *, days=1, assignee=None, title="回访"):
    return task_create(
        actor=actor,
        customer=customer,
        data={"kind": "call", "title": title, "due_at": timezone.now() + dt.timedelta(days=days)},
        assignee=assignee,
    )


def _feed_titles(user) -> list[str]:
    _feed, raw = calendar_feed_create(user=user)
    response = Client().get(reverse("followups:calendar", args=[raw]))
    return [str(e["summary"]) for e in Calendar.from_ical(response.content).walk("VEVENT")]


def _refused_everywhere(user, task) -> None:
    """``user`` sees ``task`` nowhere: my work, the API (list and read), the calendar."""
    work = my_work(user, now=timezone.now() - dt.timedelta(days=3))
    assert all(task not in group for group in work.groups)
    assert not tasks_visible_to(user).filter(pk=task.pk).exists()
    api = api_client_for(user)
    assert task.pk not in [t["id"] for t in api.get("/api/v1/tasks").json()["items"]]
    assert api.get(f"/api/v1/tasks/{task.pk}").status_code == 404
    assert api.post(f"/api/v1/tasks/{task.pk}/finish", {"status": "done"}).status_code == 404
    assert not any(task.title in t for t in _feed_titles(user))
    client = Client()
    client.force_login(user)
    finish = client.post(reverse("followups:finish", args=[task.pk]), {"status": "done"})
    assert finish.status_code == 404


def test_the_sql_rule_matches_visibility_for_every_role(org):
    lone_manager = make_user("manager", team=None, username="lone_mgr")
    customers = [
        make_customer(org.sales, name="东一"),
        make_customer(org.west_sales, name="西一"),
        make_customer(org.manager, name="经理的"),
        make_customer(lone_manager, name="独行经理的"),
        make_customer(None, name="公海", actor=org.admin),
    ]
    users = [
        org.admin,
        org.manager,
        org.west_manager,
        org.sales,
        org.east_sales2,
        org.west_sales,
        org.service,
        org.analyst,
        lone_manager,
    ]
    for customer in customers:
        for user in users:
            task = Task(customer=customer, assignee=user, kind="call", title="x")
            task.due_at = timezone.now()
            task.save()
    for user in users:
        expected = set(Customer.objects.filter(visibility_q(user)).values_list("pk", flat=True))
        by_sql = set(
            Task.objects.filter(assignee=user)
            .filter(user_sees_customer_q("assignee__", "customer__"))
            .values_list("customer_id", flat=True)
        )
        assert by_sql == expected, user.username


def test_a_transfer_moves_the_open_tasks_and_hides_them_from_the_previous_owner(org):
    customer = make_customer(org.sales, name="转走的")
    open_task = _task(org.sales, customer, title="待回访")
    done = _task(org.sales, customer, title="已回访")
    task_finish(actor=org.sales, task=done, status="done")
    customer_transfer(
        actor=org.manager, customer_ids=[customer.pk], to_user=org.east_sales2, reason="调岗"
    )
    open_task.refresh_from_db()
    done.refresh_from_db()
    assert open_task.assignee == org.east_sales2 and open_task.version == 2
    assert done.assignee == org.sales  # history stays as it was
    assert open_task in my_work(org.east_sales2).upcoming
    assert "待回访 · 转走的" in _feed_titles(org.east_sales2)
    _refused_everywhere(org.sales, open_task)
    _refused_everywhere(org.sales, done)


def test_a_transfer_told_not_to_move_leaves_them_but_the_previous_owner_sees_none(org):
    customer = make_customer(org.sales, name="转走的")
    task = _task(org.sales, customer, days=-1, title="逾期回访")
    customer_transfer(
        actor=org.manager,
        customer_ids=[customer.pk],
        to_user=org.east_sales2,
        reason="调岗",
        move_tasks=False,
    )
    task.refresh_from_db()
    assert task.assignee == org.sales
    _refused_everywhere(org.sales, task)
    assert reminders_send().created == 0  # no reminder about a customer they lost
    assert not Notification.objects.exists()
    # the new owner still finds it on the customer
    assert tasks_visible_to(org.east_sales2).filter(pk=task.pk).exists()


def test_a_departing_users_bulk_transfer_moves_every_open_task(org):
    first = make_customer(org.sales, name="甲")
    second = make_customer(org.sales, name="乙")
    tasks = [_task(org.sales, first), _task(org.sales, second), _task(org.sales, second)]
    user_customers_transfer(
        actor=org.manager, from_user=org.sales, to_user=org.east_sales2, reason="离职"
    )
    assert {t.assignee_id for t in Task.objects.filter(pk__in=[t.pk for t in tasks])} == {
        org.east_sales2.pk
    }


def test_a_claim_takes_over_the_tasks_left_with_someone_who_lost_the_customer(org):
    customer = make_customer(org.sales, name="回公海的")
    task = _task(org.sales, customer)
    pool_release(actor=org.sales, customer=customer, reason="不跟了")
    task.refresh_from_db()
    assert task.assignee == org.sales  # a pool customer: the releaser still sees it
    assert tasks_visible_to(org.sales).filter(pk=task.pk).exists()
    pool_claim(actor=org.west_sales, customer_id=customer.pk)
    task.refresh_from_db()
    assert task.assignee == org.west_sales
    _refused_everywhere(org.sales, task)


def test_a_manager_keeps_a_task_of_a_customer_still_in_the_team(org):
    customer = make_customer(org.sales, name="团队的")
    mine = _task(org.manager, customer, assignee=org.manager, title="经理的回访")
    theirs = _task(org.sales, customer, title="销售的回访")
    customer_transfer(
        actor=org.manager, customer_ids=[customer.pk], to_user=org.east_sales2, reason="调整"
    )
    assert Task.objects.get(pk=mine.pk).assignee == org.manager  # still sees the customer
    assert Task.objects.get(pk=theirs.pk).assignee == org.east_sales2


def test_a_task_cannot_be_given_to_someone_who_does_not_see_the_customer(org):
    customer = make_customer(org.sales, name="东一")
    with pytest.raises(ValidationError) as error:
        _task(org.manager, customer, assignee=org.east_sales2)
    assert "看不到这个客户" in str(error.value)
    task = _task(org.manager, customer, assignee=org.sales)
    response = api_client_for(org.manager).patch(
        f"/api/v1/tasks/{task.pk}", {"assignee_id": org.east_sales2.pk, "version": 1}
    )
    assert response.status_code == 422 and "assignee" in response.json()["errors"]


def test_the_transfer_checkbox_and_the_api_parameter(org):
    customer = make_customer(org.sales, name="页面转移")
    task = _task(org.sales, customer)
    client = Client()
    client.force_login(org.manager)
    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert 'name="move_tasks" id="move-tasks" checked' in html
    client.post(
        reverse("customers:transfer", args=[customer.pk]),
        {"to_user": org.east_sales2.pk, "reason": "调岗"},  # the box unticked
    )
    task.refresh_from_db()
    assert task.assignee == org.sales
    client.post(
        reverse("customers:transfer", args=[customer.pk]),
        {"to_user": org.manager.pk, "reason": "收回", "move_tasks": "on"},
    )
    task.refresh_from_db()
    assert task.assignee == org.manager  # stranded with sales: moved
    api = api_client_for(org.manager)
    moved = api.post(
        f"/api/v1/customers/{customer.pk}/transfer",
        {"to_user": org.east_sales2.pk, "reason": "再转", "move_tasks": False},
    )
    assert moved.status_code == 200
    assert Task.objects.get(pk=task.pk).assignee == org.manager
    api.post(
        f"/api/v1/customers/{customer.pk}/transfer", {"to_user": org.sales.pk, "reason": "回来"}
    )
    # Neither the previous owner's nor stranded (the manager sees the team's customers).
    assert Task.objects.get(pk=task.pk).assignee == org.manager
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN


def test_the_bulk_transfer_page_offers_the_checkbox(org):
    customer = make_customer(org.sales, name="离职的")
    task = _task(org.sales, customer)
    client = Client()
    client.force_login(org.manager)
    html = client.get(reverse("customers:transfer_all")).content.decode()
    assert 'name="move_tasks"' in html and "checked" in html
    client.post(
        reverse("customers:transfer_all"),
        {
            "from_user": org.sales.pk,
            "to_user": org.east_sales2.pk,
            "reason": "离职",
            "move_tasks": "on",
        },
    )
    assert Task.objects.get(pk=task.pk).assignee == org.east_sales2


def test_a_departing_user_with_many_customers_hands_over_every_task(org):
    customers = Customer.objects.bulk_create(
        Customer(name=f"客户{i}", kind="person", owner=org.sales, team=org.east)
        for i in range(1100)
    )
    due = timezone.now() + dt.timedelta(days=1)
    Task.objects.bulk_create(
        Task(customer=c, assignee=org.sales, kind="call", title="回访", due_at=due)
        for c in customers
    )
    result = user_customers_transfer(
        actor=org.manager, from_user=org.sales, to_user=org.east_sales2, reason="离职"
    )
    assert len(result.moved) == 1100
    assert set(Task.objects.values_list("assignee_id", flat=True)) == {org.east_sales2.pk}
