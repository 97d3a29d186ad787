"""Follow-up tasks (回访): create, change, complete, skip; calendar feeds."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import Role, User
from kehu.core.dates import business_date_check, business_moment_check
from kehu.core.errors import ConflictError
from kehu.core.events import CustomerEvents
from kehu.core.texts import message_codes
from kehu.customers.access import (
    can_log_interaction,
    can_reassign,
    user_sees_customer_q,
    visibility_q,
)
from kehu.customers.models import Customer
from kehu.followups import texts
from kehu.followups.models import CalendarFeed, Task, TaskStatus
from kehu.followups.selectors import tasks_visible_to

TASK_FIELDS = ("kind", "title", "notes", "due_at")


def task_assignees(actor: User) -> QuerySet[User]:
    """Whom the actor may give a task: managers their team, admins anyone, others
    themselves. Analysts do no follow-ups."""
    users = (
        User.objects.filter(is_active=True)
        .exclude(role=Role.ANALYST)
        .select_related("team")
        .order_by("username")
    )
    if actor.is_admin_role:
        return users
    if actor.role == Role.MANAGER and actor.team_id:
        return users.filter(team_id=actor.team_id)
    return users.filter(pk=actor.pk)


def can_change_task(actor: User, task: Task) -> bool:
    if not actor.is_active or actor.role == Role.ANALYST:
        return False
    if actor.is_admin_role or actor.pk in (task.assignee_id, task.created_by_id):
        return True
    return can_reassign(actor) and task.assignee.team_id == actor.team_id


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(TASK_FIELDS)
    if unknown:
        raise ValidationError({key: _("未知字段。") for key in sorted(unknown)})
    cleaned = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    due_at = cleaned.get("due_at")
    if isinstance(due_at, dt.datetime):
        business_moment_check(due_at, "due_at")
    return cleaned


def _assignee_check(actor: User, assignee: User, customer: Customer) -> None:
    """Whom the actor may give tasks, and only someone who sees the customer: a task's
    visibility follows its customer, so a task its assignee cannot see is lost."""
    if not task_assignees(actor).filter(pk=assignee.pk).exists():
        raise ValidationError({"assignee": _("不能把任务分配给该用户。")})
    if not Customer.objects.filter(visibility_q(assignee), pk=customer.pk).exists():
        raise ValidationError(
            {"assignee": _("该用户看不到这个客户，请先把客户转给他，或另选负责人。")}
        )


@transaction.atomic
def task_create(
    *,
    actor: User,
    customer: Customer,
    data: Mapping[str, Any],
    assignee: User | None = None,
    purpose: str = "",
    message: str = "",
    params: Mapping[str, Any] | None = None,
) -> Task:
    """A task for ``customer``; ``purpose`` marks one the system made (``TaskPurpose``).
    A feature that words the task itself passes a ``message`` code and its ``params``
    (``kehu.core.texts``) instead of a title and notes: the task then reads in the
    reader's language. A task given no title is titled by its kind, the same way."""
    if not can_log_interaction(actor, customer):
        raise PermissionDenied
    assignee = assignee or actor
    _assignee_check(actor, assignee, customer)
    task = Task(
        customer=customer, assignee=assignee, created_by=actor, purpose=purpose, **_clean(data)
    )
    if message:
        task.message, task.params = message, dict(params or {})
    elif not task.title and task.kind:
        task.message, task.params = texts.KIND, {"kind": task.kind}
    exclude = ["customer", "assignee", "created_by"]
    task.full_clean(exclude=[*exclude, "title"] if task.message else exclude)
    task.save()
    return task


def _worded(task: Task, data: dict[str, Any]) -> dict[str, Any]:
    """The change of a task the system worded (``message``): a title or notes sent back
    as they read (the form shows them in the editor's language) change nothing; words
    of the editor's own replace the message, with the other part as it read."""
    worded = message_codes().get(task.message, ())
    shown = {"title": task.title_text, "notes": task.notes_text}
    shown = {part: text for part, text in shown.items() if part in worded}
    typed = {key: data[key] for key in shown if key in data and data[key] != shown[key]}
    rest = {key: value for key, value in data.items() if key not in shown}
    if not typed:
        return rest
    return {**rest, **shown, **typed, "message": "", "params": None}


@transaction.atomic
def task_update(
    *,
    actor: User,
    task: Task,
    version: int,
    data: Mapping[str, Any],
    assignee: User | None = None,
) -> Task:
    """Change an open task; ``version`` guards against overwriting someone's change."""
    if not can_change_task(actor, task):
        raise PermissionDenied
    fresh = Task.objects.select_related("assignee").get(pk=task.pk)
    changes = _clean(data)
    if fresh.message:
        changes = _worded(fresh, changes)
    for key, value in changes.items():
        setattr(fresh, key, value)
    if assignee is not None and assignee.pk != fresh.assignee_id:
        _assignee_check(actor, assignee, fresh.customer)
        fresh.assignee = assignee
    exclude = ["customer", "assignee", "created_by"]
    fresh.full_clean(exclude=[*exclude, "title"] if fresh.message else exclude)
    values = {k: getattr(fresh, k) for k in (*TASK_FIELDS, "message", "params")}
    done = Task.objects.filter(pk=task.pk, version=version).update(
        **values,
        assignee=fresh.assignee,
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    if not done:
        raise ConflictError(
            _("该任务已被他人修改，请刷新后再试。"),
            details={"current_version": Task.objects.get(pk=task.pk).version},
        )
    fresh.refresh_from_db()
    return fresh


@transaction.atomic
def task_finish(*, actor: User, task: Task, status: str, result: str = "") -> Task:
    """Mark a task done or skipped, with its result. A finished task stays finished."""
    if not can_change_task(actor, task):
        raise PermissionDenied
    if status not in (TaskStatus.DONE, TaskStatus.SKIPPED):
        raise ValidationError({"status": _("状态只能是已完成或已跳过。")})
    result = (result or "").strip()
    if len(result) > 5000:
        raise ValidationError({"result": _("结果最多 5000 个字符。")})
    now = timezone.now()
    done = Task.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(
        status=status, result=result, done_at=now, version=F("version") + 1, updated_at=now
    )
    if not done:
        raise ConflictError(_("该任务已经处理过了。"), details={"reason": "finished"})
    task.refresh_from_db()
    if status == TaskStatus.DONE:
        Customer.objects.filter(pk=task.customer_id).update(last_contact_at=now)
    return task


@transaction.atomic
def task_delete(*, actor: User, task: Task) -> None:
    if not can_change_task(actor, task):
        raise PermissionDenied
    task.delete()


# --- several at once (my work's bulk bar) -----------------------------------------------

MAX_BULK = 200


class Refusal:
    """Why one task of a bulk action was left alone (``BulkResult.refused``)."""

    NOT_FOUND = "not_found"  # no such task, or not one the actor sees
    FORBIDDEN = "forbidden"  # seen, but not the actor's to change
    FINISHED = "finished"  # done or skipped already


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)  # task id → ``Refusal``


def _bulk_tasks(actor: User, task_ids: Iterable[int]) -> tuple[list[Task], BulkResult]:
    """The open tasks among ``task_ids`` the actor may change, locked; the others are
    in the result's ``refused`` with the reason."""
    ids = list(dict.fromkeys(int(i) for i in task_ids))
    if len(ids) > MAX_BULK:
        raise ValidationError({"tasks": _("一次最多处理 %(n)d 项。") % {"n": MAX_BULK}})
    result = BulkResult()
    found = {
        t.pk: t
        for t in tasks_visible_to(actor)
        .filter(pk__in=ids)
        .select_related("assignee")
        .select_for_update(of=("self",))
    }
    allowed: list[Task] = []
    for task_id in ids:
        task = found.get(task_id)
        if task is None:
            result.refused[task_id] = Refusal.NOT_FOUND
        elif not can_change_task(actor, task):
            result.refused[task_id] = Refusal.FORBIDDEN
        elif task.status != TaskStatus.OPEN:
            result.refused[task_id] = Refusal.FINISHED
        else:
            allowed.append(task)
    return allowed, result


@transaction.atomic
def tasks_finish(
    *, actor: User, task_ids: Iterable[int], status: str, result: str = ""
) -> BulkResult:
    """Finish (done or skipped) several tasks at once, each checked as ``task_finish``
    checks one; those refused are reported by id with the reason."""
    if status not in (TaskStatus.DONE, TaskStatus.SKIPPED):
        raise ValidationError({"status": _("状态只能是已完成或已跳过。")})
    text = (result or "").strip()
    if len(text) > 5000:
        raise ValidationError({"result": _("结果最多 5000 个字符。")})
    tasks, outcome = _bulk_tasks(actor, task_ids)
    if not tasks:
        return outcome
    now = timezone.now()
    Task.objects.filter(pk__in=[t.pk for t in tasks], status=TaskStatus.OPEN).update(
        status=status, result=text, done_at=now, version=F("version") + 1, updated_at=now
    )
    if status == TaskStatus.DONE:
        Customer.objects.filter(pk__in={t.customer_id for t in tasks}).update(last_contact_at=now)
    outcome.done = [t.pk for t in tasks]
    return outcome


@transaction.atomic
def tasks_postpone(*, actor: User, task_ids: Iterable[int], until: dt.date) -> BulkResult:
    """Move several open tasks to the day ``until`` (today or later), each at its own
    time of day; those refused are reported by id with the reason."""
    business_date_check(until, "until")
    if until < timezone.localdate():
        raise ValidationError({"until": _("推迟到的日期不能早于今天。")})
    tasks, outcome = _bulk_tasks(actor, task_ids)
    now = timezone.now()
    zone = timezone.get_current_timezone()
    for task in tasks:
        local = timezone.localtime(task.due_at, zone)
        task.due_at = dt.datetime.combine(until, local.timetz().replace(tzinfo=None), zone)
        task.version += 1
        task.updated_at = now
    Task.objects.bulk_update(tasks, ["due_at", "version", "updated_at"])
    outcome.done = [t.pk for t in tasks]
    return outcome


FOLLOW_CHUNK = 200


def tasks_follow_owner(event: CustomerEvents) -> None:
    """``owner_changed``: customers changed hands. With ``move_tasks`` (the default;
    a transfer's checkbox), their open tasks go to the new owner: those of the previous
    owner, and any whose assignee no longer sees the customer (who could not open or
    finish them). Nothing moves to the pool (a release or reclaim): whoever had the
    tasks still sees a pool customer."""
    to_user_id = event.data.get("to_user_id")
    if to_user_id is None or not event.data.get("move_tasks", True):
        return
    previous: dict[int, int | None] = event.data.get("previous_owner_ids") or {}
    stranded = ~user_sees_customer_q("assignee__", "customer__")
    for start in range(0, len(event.customer_ids), FOLLOW_CHUNK):
        ids = event.customer_ids[start : start + FOLLOW_CHUNK]
        # The previous owner's tasks, one term per owner (a departing user's thousands
        # of customers: one owner; SQLite refuses an expression thousands of ORs deep).
        by_owner: dict[int, list[int]] = {}
        for customer_id in ids:
            owner_id = previous.get(customer_id)
            if owner_id is not None and owner_id != to_user_id:
                by_owner.setdefault(owner_id, []).append(customer_id)
        from_owner = Q(pk__in=[])
        for owner_id, owned in by_owner.items():
            from_owner |= Q(assignee_id=owner_id, customer_id__in=owned)
        moving = Task.objects.filter(customer_id__in=ids, status=TaskStatus.OPEN).filter(
            from_owner | stranded
        )
        # An UPDATE cannot join, so the ids first (a few per customer).
        Task.objects.filter(pk__in=list(moving.values_list("pk", flat=True))).update(
            assignee_id=to_user_id, version=F("version") + 1, updated_at=timezone.now()
        )


# --- calendar feeds ----------------------------------------------------------------------


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def calendar_feed_create(*, user: User) -> tuple[CalendarFeed, str]:
    """A new secret feed URL token (the old ones are revoked: one live link per user)."""
    calendar_feed_revoke(user=user)
    raw = secrets.token_urlsafe(24)
    feed = CalendarFeed.objects.create(user=user, digest=_digest(raw), hint=raw[-4:])
    return feed, raw


def calendar_feed_revoke(*, user: User) -> int:
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def calendar_feed_user(raw: str) -> User | None:
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(digest=_digest(raw or ""), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    return feed.user if feed else None
