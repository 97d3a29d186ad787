"""The reminder job killed mid-run: no reminder lost, none sent twice.

A kill is simulated in-process by a ``BaseException`` (``KeyboardInterrupt`` /
``SystemExit``) raised where the worker dies; the reminder code catches ``Exception``
only, so nothing after that point runs — as if the process had been killed.
(``test_worker.py`` kills a real worker process.)
"""

from __future__ import annotations

import datetime as dt
import smtplib
from collections import Counter
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from kehu.followups import reminders
from kehu.followups.models import Notification, Task
from kehu.jobs.models import JobRun, JobStatus
from kehu.jobs.schedule import job_run
from tests.jobs.conftest import due_tasks_make

real_send_mail = reminders.send_mail


def _dying_after(sends: int, interruption: type[BaseException]):
    count = {"n": 0}

    def send_mail(**kwargs: Any) -> int:
        if count["n"] >= sends:
            raise interruption()
        count["n"] += 1
        return real_send_mail(**kwargs)

    return send_mail


def _sent() -> Counter[tuple[str, str]]:
    return Counter((message.to[0], message.subject) for message in mail.outbox)


def _assert_each_reminder_once(tasks: list[Task]) -> None:
    for task in tasks:
        assert Notification.objects.filter(task=task).count() == 1, task.title
    sent = _sent()
    assert len(sent) == len(tasks)
    assert set(sent.values()) == {1}, [k for k, v in sent.items() if v > 1]
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("interruption", [KeyboardInterrupt, SystemExit])
@pytest.mark.parametrize("sent_before_the_kill", [0, 1, 5, 11])
def test_a_worker_killed_while_sending_loses_nothing_and_doubles_nothing(
    due_tasks, monkeypatch, interruption, sent_before_the_kill
):
    start = timezone.now()
    monkeypatch.setattr(reminders, "send_mail", _dying_after(sent_before_the_kill, interruption))
    with pytest.raises(interruption):
        reminders.reminders_send(now=start)
    assert len(mail.outbox) == sent_before_the_kill
    assert Notification.objects.count() == 12  # all created before the first e-mail

    # The worker restarts a minute later: everything goes out except the e-mail the dead
    # worker had claimed — it may have been half-sent, so it waits for the lease.
    monkeypatch.setattr(reminders, "send_mail", real_send_mail)
    report = reminders.reminders_send(now=start + dt.timedelta(minutes=1))
    assert (report.created, report.emailed) == (0, 11 - sent_before_the_kill)
    assert len(mail.outbox) == 11
    in_doubt = Notification.objects.get(emailed_at__isnull=True)
    assert in_doubt.email_claimed_at is not None

    # After the lease it goes out; later runs send nothing more.
    later = start + reminders.LEASE + dt.timedelta(minutes=2)
    assert reminders.reminders_send(now=later).emailed == 1
    assert reminders.reminders_send(now=later + reminders.LEASE * 2).emailed == 0
    _assert_each_reminder_once(due_tasks)


@pytest.mark.django_db
def test_a_worker_killed_while_creating_notifications_creates_each_once(due_tasks, monkeypatch):
    real_insert = reminders._insert
    calls = {"n": 0}

    def dying_insert(rows: list[Notification]) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit()
        return real_insert(rows)

    monkeypatch.setattr(reminders, "_insert", dying_insert)
    with pytest.raises(SystemExit):
        reminders.reminders_send(batch=5)
    assert Notification.objects.count() == 5 and not mail.outbox

    monkeypatch.setattr(reminders, "_insert", real_insert)
    report = reminders.reminders_send(batch=5)
    assert report.created == 7
    reminders.reminders_send(batch=5)
    reminders.reminders_send(batch=5)  # five e-mails per run
    _assert_each_reminder_once(due_tasks)


@pytest.mark.django_db
def test_the_job_killed_mid_run_is_recorded_interrupted_and_the_next_run_finishes(
    due_tasks, monkeypatch
):
    monkeypatch.setattr(reminders, "send_mail", _dying_after(4, KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        job_run("reminders")
    assert JobRun.objects.get().status == JobStatus.INTERRUPTED

    monkeypatch.setattr(reminders, "send_mail", real_send_mail)
    run = job_run("reminders")
    assert run is not None and run.result == {"created": 0, "emailed": 7, "failed": 0}
    # The e-mail being sent when the worker died waits for the lease, then goes once.
    Notification.objects.filter(emailed_at__isnull=True).update(
        email_claimed_at=timezone.now() - reminders.LEASE - dt.timedelta(seconds=1)
    )
    assert job_run("reminders").result["emailed"] == 1  # type: ignore[union-attr]
    _assert_each_reminder_once(due_tasks)


@pytest.mark.django_db
def test_a_run_that_outlasts_the_lease_keeps_the_email_it_is_sending(due_tasks, monkeypatch):
    """A slow mail server: each e-mail takes 4 minutes. While the first worker is still
    sending its second e-mail (8 minutes in, past the 5-minute lease), a second worker
    runs. It must not take the e-mail the first is sending. (Claims used to be stamped
    with the run's start time, so this one looked 8 minutes old and went twice.)"""
    clock = {"now": timezone.now()}
    monkeypatch.setattr(reminders.timezone, "now", lambda: clock["now"])
    second: list[reminders.ReminderReport] = []
    started = []

    def slow_send_mail(**kwargs: Any) -> int:
        clock["now"] += dt.timedelta(minutes=4)
        if len(mail.outbox) == 1 and not started:
            started.append(True)
            second.append(reminders.reminders_send())
        return real_send_mail(**kwargs)

    monkeypatch.setattr(reminders, "send_mail", slow_send_mail)
    first = reminders.reminders_send()
    assert second[0].emailed == 10
    assert first.emailed == 2
    _assert_each_reminder_once(due_tasks)


@pytest.mark.django_db
def test_addresses_the_mail_server_refuses_do_not_hold_up_the_others(org, monkeypatch):
    """More refused e-mails than a batch: the deliverable ones still go out, and the
    refused ones are retried after the lease."""
    tasks = due_tasks_make(org, count=6)
    refused = {org.sales.email}  # tasks 0 and 3

    def picky_send_mail(**kwargs: Any) -> int:
        if kwargs["recipient_list"][0] in refused:
            raise smtplib.SMTPRecipientsRefused({kwargs["recipient_list"][0]: (550, b"no")})
        return real_send_mail(**kwargs)

    monkeypatch.setattr(reminders, "send_mail", picky_send_mail)
    start = timezone.now()
    first = reminders.reminders_send(now=start, batch=2)
    assert (first.emailed, first.failed) == (1, 1)
    for minute in range(1, 4):
        reminders.reminders_send(now=start + dt.timedelta(minutes=minute), batch=2)
    assert len(mail.outbox) == 4  # every deliverable one, though the batch is 2
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 2

    refused.clear()  # the address is fixed
    reminders.reminders_send(now=start + reminders.LEASE + dt.timedelta(minutes=5), batch=2)
    _assert_each_reminder_once(tasks)
