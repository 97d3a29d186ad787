"""Reads of follow-up tasks and notifications, scoped to what the actor may see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import Role, User
from kehu.core.paging import PageNav, pages_for
from kehu.customers.access import user_sees_customer_q, visibility_q
from kehu.customers.models import Customer
from kehu.customers.search import q_through
from kehu.customers.timeline import Cursor, TimelineEvent
from kehu.followups.models import Notification, Task, TaskKind, TaskStatus

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


WORK_GROUPS = ("overdue", "today", "upcoming")
WORK_PAGE_SIZE = 20


@dataclass
class TaskGroup(PageNav):
    """One section of my work (overdue, today, upcoming): a page of its tasks. Its
    length and truth are the whole section's count, not the page's."""

    key: str
    rows: list[Task]
    count: int
    page: int
    page_size: int

    @property
    def num_pages(self) -> int:
        return pages_for(self.count, self.page_size, self.page)

    @property
    def param(self) -> str:
        """The query parameter of this section's page number."""
        return f"{self.key}_page"

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Task]:  # this page's tasks
        return iter(self.rows)

    def __bool__(self) -> bool:
        return self.count > 0


@dataclass
class KindCount:
    kind: str
    label: str
    count: int


@dataclass
class WorkDay:
    overdue: TaskGroup
    today: TaskGroup
    upcoming: TaskGroup
    team: bool
    kinds: list[KindCount] = field(default_factory=list)  # every kind with open tasks
    kind: str = ""  # the kind shown ("": all)

    @property
    def groups(self) -> list[TaskGroup]:
        return [self.overdue, self.today, self.upcoming]

    @property
    def count(self) -> int:
        return sum(g.count for g in self.groups)

    @property
    def empty(self) -> bool:
        return self.count == 0

    @property
    def kinds_total(self) -> int:
        return sum(k.count for k in self.kinds)


def my_work(
    user: User,
    *,
    team: bool = False,
    now: dt.datetime | None = None,
    kind: str = "",
    pages: Mapping[str, int] | None = None,
    page_size: int = WORK_PAGE_SIZE,
) -> WorkDay:
    """Open tasks in three sections — overdue, due today, due within a week — each a
    page of ``page_size`` (``pages``: section → page number, past the last one shows
    the last), the user's or (managers) the team's, of one ``kind`` or all, with the
    count of each kind. A fixed number of queries, however many tasks there are."""
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
    labels = dict(TaskKind.choices)
    kinds = [
        KindCount(row["kind"], str(labels.get(row["kind"], row["kind"])), row["n"])
        for row in tasks.order_by().values("kind").annotate(n=Count("id")).order_by("kind")
    ]
    if kind in labels:
        tasks = tasks.filter(kind=kind)
    else:
        kind = ""
    ranges = {
        "overdue": Q(due_at__lt=start),
        "today": Q(due_at__gte=start, due_at__lt=end),
        "upcoming": Q(due_at__gte=end),
    }
    counts = tasks.aggregate(**{key: Count("id", filter=q) for key, q in ranges.items()})
    groups: dict[str, TaskGroup] = {}
    for key, q in ranges.items():
        count = counts[key] or 0
        last = max(1, -(-count // page_size))
        page = min(max(1, (pages or {}).get(key, 1)), last)
        rows: list[Task] = []
        if count:
            offset = (page - 1) * page_size
            rows = list(
                tasks.filter(q)
                .select_related("customer", "assignee")
                .order_by("due_at", "id")[offset : offset + page_size]
            )
        groups[key] = TaskGroup(key, rows, count, page, page_size)
    return WorkDay(**groups, team=as_team, kinds=kinds, kind=kind)


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
            title = _("回访计划：%(title)s（%(due)s 前）") % {"title": t.title_text, "due": due}
        else:
            title = f"{t.get_status_display()}：{t.title_text}"
        events.append(
            TimelineEvent(
                at=t.at,  # type: ignore[attr-defined]
                kind="task",
                pk=t.pk,
                title=str(title),
                detail=t.result or t.notes_text,
                actor=t.assignee.label,
                extra={"status": t.status},
            )
        )
    return events
