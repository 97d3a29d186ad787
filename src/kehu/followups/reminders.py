"""Reminders: due tasks and pool notices become in-app notifications, then e-mail.

Run every minute by the job queue (``kehu jobs``); safe to run twice, concurrently,
or after a worker died half-way:

1. Notifications are keyed (``task_due:<task>:<due>``): creating them is idempotent.
2. Each e-mail is claimed with a conditional update before it is sent and marked sent
   after; a claim older than ``LEASE`` (its worker died) may be taken again. A claim
   is stamped when it is made (the run's clock advances), not when the run started,
   so a run that outlasts ``LEASE`` does not hand the e-mail it is sending to another
   worker. Two workers never send the same e-mail; a crash between sending and
   marking is the only way an e-mail can go twice, and then only after the lease.
3. An e-mail the mail server refused keeps its claim, so it is retried after the
   lease, and e-mails never tried go first: failing addresses cannot crowd out the
   rest of the batch.

Notifications store a message code and its facts (``kehu.followups.texts``), not
words: the page shows them in the reader's language, and e-mails are written in the
site's language (``LANGUAGE_CODE``; users have no language of their own).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import CharField, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone, translation

from kehu.customers.models import PoolNotice
from kehu.followups import texts
from kehu.followups.models import Notification, Task, TaskStatus
from kehu.followups.selectors import assignee_sees_customer

logger = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=5)


@dataclass
class ReminderReport:
    created: int = 0
    emailed: int = 0
    failed: int = 0


def reminders_send(*, now: dt.datetime | None = None, batch: int = 500) -> ReminderReport:
    started = timezone.now()
    now = now or started

    def clock() -> dt.datetime:
        return now + (timezone.now() - started)

    report = ReminderReport()
    with translation.override(settings.LANGUAGE_CODE):
        report.created = _task_notifications(now, batch) + _pool_notifications(now, batch)
        report.emailed, report.failed = _emails(clock, batch)
    return report


def _task_notifications(now: dt.datetime, batch: int) -> int:
    due = (
        Task.objects.filter(status=TaskStatus.OPEN, due_at__lte=now)
        .filter(assignee_sees_customer())  # not a task of a customer given to another
        # Reminded already (for this due time): skip before building anything — this
        # runs every minute and overdue tasks stay overdue.
        .exclude(
            Exists(
                Notification.objects.filter(
                    task_id=OuterRef("pk"), created_at__gte=OuterRef("due_at")
                )
            )
        )
        .select_related("customer")
        .order_by("due_at")
    )
    created = 0
    rows = []
    for task in due.iterator(chunk_size=batch):
        key = f"task_due:{task.pk}:{int(task.due_at.timestamp())}"
        rows.append(
            Notification(
                user_id=task.assignee_id,
                key=key,
                task=task,
                message=texts.TASK_DUE,
                params={
                    "task": texts.task_snapshot(task),
                    "customer": task.customer.name,
                    "due": timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M"),
                },
                url=reverse("customers:detail", args=[task.customer_id]),
                created_at=now,
            )
        )
        if len(rows) >= batch:
            created += _insert(rows)
            rows = []
    return created + _insert(rows)


def _pool_notifications(now: dt.datetime, batch: int) -> int:
    notices = (
        PoolNotice.objects.filter(read_at__isnull=True)
        .annotate(key=Concat(Value("pool:"), Cast("pk", CharField())))
        .exclude(Exists(Notification.objects.filter(key=OuterRef("key"))))
        .select_related("customer")
        .order_by("pk")
    )
    rows = [
        Notification(
            user_id=n.owner_id,
            key=f"pool:{n.pk}",
            message=texts.POOL_NOTICE,
            params={
                "customer": n.customer.name,
                "due": timezone.localtime(n.due_at).strftime("%Y-%m-%d"),
            },
            url=reverse("customers:detail", args=[n.customer_id]),
            created_at=now,
        )
        for n in notices[: batch * 10]
    ]
    return _insert(rows)


def _insert(rows: list[Notification]) -> int:
    if not rows:
        return 0
    keys = [r.key for r in rows]
    existing = set(Notification.objects.filter(key__in=keys).values_list("key", flat=True))
    fresh = [r for r in rows if r.key not in existing]
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


def _takeable(at: dt.datetime) -> Q:
    return Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=at - LEASE)


def _emails(clock: Callable[[], dt.datetime], batch: int) -> tuple[int, int]:
    pending = (
        Notification.objects.filter(
            _takeable(clock()), emailed_at__isnull=True, read_at__isnull=True
        )
        .exclude(user__email="")
        .select_related("user")
        .order_by(F("email_claimed_at").asc(nulls_first=True), "id")[:batch]
    )
    sent = failed = 0
    for note in pending:
        at = clock()
        claimed = (
            Notification.objects.filter(pk=note.pk, emailed_at__isnull=True)
            .filter(_takeable(at))
            .update(email_claimed_at=at)
        )
        if not claimed:
            continue  # another worker has it
        try:
            send_mail(
                subject=f"[Kehu] {note.title_text}",
                message=f"{note.body_text}\n\n{settings.KEHU_BASE_URL}{note.url}",
                from_email=None,
                recipient_list=[note.user.email],
            )
        except Exception:  # the mail server said no: the claim stays, retried after LEASE
            logger.exception("reminder e-mail %s failed", note.pk)
            failed += 1
            continue
        Notification.objects.filter(pk=note.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent, failed
