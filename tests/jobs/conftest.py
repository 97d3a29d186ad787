from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kehu.followups.models import Task, TaskKind
from tests.conftest import Org
from tests.factories import make_customer


def due_tasks_make(org: Org, count: int = 12) -> list[Task]:
    """``count`` follow-up tasks an hour overdue, spread over three people with e-mail."""
    people = [org.sales, org.east_sales2, org.manager]
    for person in people:
        person.email = f"{person.username}@example.com"
        person.save(update_fields=["email"])
    due = timezone.now() - dt.timedelta(hours=1)
    tasks = []
    for i in range(count):
        owner = people[i % len(people)]
        customer = make_customer(owner, name=f"回访客户{i:02d}")
        tasks.append(
            Task.objects.create(
                customer=customer,
                assignee=owner,
                kind=TaskKind.CALL,
                title=f"电话回访 {i:02d}",
                due_at=due + dt.timedelta(seconds=i),
            )
        )
    return tasks


@pytest.fixture
def due_tasks(org: Org) -> list[Task]:
    return due_tasks_make(org)
