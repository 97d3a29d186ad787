"""Seeds the worker test's own database, in its own process (``python -c``)."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command
from django.utils import timezone

from kehu.accounts.models import Role
from kehu.followups.models import Task, TaskKind
from tests.factories import make_customer, make_user


def seed(count: int) -> None:
    call_command("migrate", verbosity=0)
    people = [
        make_user(Role.SALES, team=None, username=f"sales{i}", email=f"sales{i}@example.com")
        for i in range(3)
    ]
    due = timezone.now() - dt.timedelta(hours=1)
    for i in range(count):
        owner = people[i % len(people)]
        customer = make_customer(owner, name=f"回访客户{i:02d}")
        Task.objects.create(
            customer=customer,
            assignee=owner,
            kind=TaskKind.CALL,
            title=f"电话回访 {i:02d}",
            due_at=due + dt.timedelta(seconds=i),
        )
