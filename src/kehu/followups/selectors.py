"""Reads of follow-up tasks and notifications, scoped to what the actor may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import Role, User
from kehu.customers.access import user_sees_customer_q, visibility_q
from kehu.customers.models import Customer
from kehu.customers.search import q_through
from kehu.customers.timeline import Cursor, TimelineEvent
from kehu.followups.models import Notification, Task, TaskStatus

UPCOMING = dt.timedelta(days=7)


def tasks_visible_to(user: User) -> QuerySet[Task]:
    """Tasks of customers the user sees. A task's visibility follows its customer: a
    task still given to someone who no longer sees the customer (transferred without
    its tasks) is not theirs to see, in lists, the API or the calendar feed."""
    if not user.is_active:
        return Task.objects.none()
    alive = Task.objects.filter(customer__deleted_at__isnull=True)
    if user.sees_all_customers:
        return alive
    return alive.filter(q_through(visibility_q(user), "customer__"))


def assignee_sees_customer() -> Q:
    """A filter over Task: the tasks whose assignee may see the customer (reminders
    go only to them)."""
    return user_sees_customer_q("assignee__", "customer__")


@dataclass
class WorkDay:
    overdue: list[Task]
    today: list[Task]
    upcoming: list[Task]
    team: bool

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.today or self.upcoming)


def my_work(user: User, *, team: bool = False, now: dt.datetime | None = None) -> WorkDay:
    """Open tasks: overdue, due today, due within a week — the user's, or (managers)
    the team's."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + dt.timedelta(days=1)
    tasks = tasks_visible_to(user).filter(status=TaskStatus.OPEN, due_at__lt=end + UPCOMING)
    as_team = team and (user.role == Role.MANAGER or user.is_admin_role)
    if as_team and user.team_id and not user.is_admin_role:
        tasks = tasks.filter(assignee__team_id=user.team_id)
    elif not as_team:
        tasks = tasks.filter(assignee=user)
    rows = list(tasks.select_related("customer", "assignee").order_by("due_at", "id")[:500])
    return WorkDay(
        overdue=[t for t in rows if t.due_at < start],
        today=[t for t in rows if start <= t.due_at < end],
        upcoming=[t for t in rows if t.due_at >= end],
        team=as_team,
    )


def customer_open_tasks(customer: Customer) -> list[Task]:
    return list(
        Task.objects.filter(customer=customer, status=TaskStatus.OPEN)
        .select_related("assignee")
        .order_by("due_at")[:20]
    )


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications_of(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def calendar_tasks(user: User) -> list[Task]:
    """What a calendar feed shows: the user's open tasks (overdue ones too) of the
    customers the user sees."""
    return list(
        tasks_visible_to(user)
        .filter(assignee=user, status=TaskStatus.OPEN)
        .select_related("customer")
        .order_by("due_at")[:1000]
    )


def task_events(customer: Customer, cursor: Cursor | None, limit: int) -> list[TimelineEvent]:
    rows = Task.objects.filter(customer=customer).annotate(at=Coalesce("done_at", "created_at"))
    if cursor:
        rows = rows.filter(cursor.q("task", "at"))
    rows = rows.select_related("assignee").order_by("-at", "-pk")[:limit]
    events = []
    for t in rows:
        due = timezone.localtime(t.due_at).strftime("%Y-%m-%d %H:%M")
        if t.status == TaskStatus.OPEN:
            title = _("回访计划：%(title)s（%(due)s 前）") % {"title": t.title, "due": due}
        else:
            title = f"{t.get_status_display()}：{t.title}"
        events.append(
            TimelineEvent(
                at=t.at,  # type: ignore[attr-defined]
                kind="task",
                pk=t.pk,
                title=str(title),
                detail=t.result or t.notes,
                actor=t.assignee.label,
                extra={"status": t.status},
            )
        )
    return events
