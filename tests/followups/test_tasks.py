"""Follow-up tasks: create, finish, conflicts, my work, reminders, calendar feed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from kehu.core.errors import ConflictError
from kehu.followups.models import Notification, Task
from kehu.followups.reminders import reminders_send
from kehu.followups.selectors import my_work
from kehu.followups.services import (
    calendar_feed_create,
    task_create,
    task_finish,
    task_update,
)
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def _task(org, customer, *, due, assignee=None, actor=None):
    return task_create(
        actor=actor or org.sales,
        customer=customer,
        data={"kind": "call", "title": "电话回访", "due_at": due},
        assignee=assignee,
    )


def test_create_finish_and_refusals(org):
    customer = make_customer(org.sales, name="甲")
    task = _task(org, customer, due=timezone.now() + dt.timedelta(days=1))
    assert task.assignee == org.sales
    with pytest.raises(ValidationError):  # sales give tasks only to themselves
        _task(org, customer, due=timezone.now(), assignee=org.east_sales2)
    with pytest.raises(ValidationError):  # a colleague who does not see the customer
        _task(org, customer, due=timezone.now(), assignee=org.east_sales2, actor=org.manager)
    theirs = make_customer(org.east_sales2, name="乙")
    task2 = _task(org, theirs, due=timezone.now(), assignee=org.east_sales2, actor=org.manager)
    with pytest.raises(ValidationError):  # other team
        _task(org, customer, due=timezone.now(), assignee=org.west_sales, actor=org.manager)
    with pytest.raises(PermissionDenied):
        _task(org, customer, due=timezone.now(), actor=org.analyst)
    with pytest.raises(PermissionDenied):
        task_finish(actor=org.west_sales, task=task, status="done")
    task_finish(actor=org.sales, task=task, status="done", result="客户满意")
    with pytest.raises(ConflictError):
        task_finish(actor=org.sales, task=task, status="skipped")
    with pytest.raises(ValidationError):
        task_finish(actor=org.east_sales2, task=task2, status="maybe")
    assert Task.objects.get(pk=task.pk).result == "客户满意"


def test_concurrent_edits_do_not_overwrite(org):
    customer = make_customer(org.sales, name="甲")
    task = _task(org, customer, due=timezone.now())
    task_update(actor=org.sales, task=task, version=1, data={"title": "第一次"})
    with pytest.raises(ConflictError):
        task_update(actor=org.manager, task=task, version=1, data={"title": "第二次"})
    assert Task.objects.get(pk=task.pk).title == "第一次"


def test_my_work_sections_and_team_view(org):
    customer = make_customer(org.sales, name="甲")
    now = timezone.now()
    _task(org, customer, due=now - dt.timedelta(days=2))
    _task(org, customer, due=now + dt.timedelta(days=3))
    _task(org, customer, due=now + dt.timedelta(days=30))  # beyond a week
    theirs = make_customer(org.east_sales2, name="乙")
    _task(org, theirs, due=now - dt.timedelta(days=1), assignee=org.east_sales2, actor=org.manager)
    mine = my_work(org.sales, now=now)
    assert len(mine.overdue) == 1 and len(mine.upcoming) == 1
    team = my_work(org.manager, team=True, now=now)
    assert len(team.overdue) == 2
    assert not my_work(org.west_sales, team=True, now=now).overdue  # sales: no team view


def test_reminders_once_in_app_and_by_email(org, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    org.sales.email = "sales@example.com"
    org.sales.save()
    customer = make_customer(org.sales, name="甲")
    _task(org, customer, due=timezone.now() - dt.timedelta(minutes=1))
    _task(org, customer, due=timezone.now() + dt.timedelta(hours=1))  # not yet due
    first = reminders_send()
    second = reminders_send()
    assert first.created == 1 and first.emailed == 1
    assert second.created == 0 and second.emailed == 0
    assert Notification.objects.count() == 1 and len(mail.outbox) == 1
    assert "甲" in mail.outbox[0].body


def test_failed_email_is_retried_not_lost(org, settings, monkeypatch):
    from kehu.followups import reminders

    org.sales.email = "sales@example.com"
    org.sales.save()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    customer = make_customer(org.sales, name="甲")
    _task(org, customer, due=timezone.now() - dt.timedelta(minutes=1))

    def down(**kwargs):
        raise OSError("smtp down")

    monkeypatch.setattr(reminders, "send_mail", down)
    assert reminders_send().failed == 1
    monkeypatch.undo()
    assert reminders_send().emailed == 0  # the refused one waits out its lease
    later = timezone.now() + reminders.LEASE + dt.timedelta(minutes=1)
    assert reminders_send(now=later).emailed == 1
    assert reminders_send(now=later).emailed == 0
    assert len(mail.outbox) == 1


def test_pages_and_calendar_feed(client, org):
    customer = make_customer(org.sales, name="甲")
    client.force_login(org.sales)
    response = client.post(
        reverse("followups:create", args=[customer.pk]),
        {"kind": "visit", "title": "", "due_at": "2026-12-01T10:00", "assignee": org.sales.pk},
    )
    assert response.status_code == 302
    task = Task.objects.get()
    assert task.title_text == "上门拜访"
    html = client.get(reverse("followups:my_work")).content.decode()
    assert "甲" in html
    client.post(reverse("followups:calendar_feed"), {"action": "create"})
    html = client.get(reverse("followups:my_work")).content.decode()
    url = html.split("<code>")[1].split("</code>")[0]
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    client.logout()
    feed = client.get(reverse("followups:calendar", args=[token]))
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["上门拜访 · 甲"]
    _feed, _raw = calendar_feed_create(user=org.sales)  # a new link revokes the old one
    assert client.get(reverse("followups:calendar", args=[token])).status_code == 404
    client.force_login(org.west_sales)
    finish = reverse("followups:finish", args=[task.pk])
    assert client.post(finish, {"status": "done"}).status_code == 404


def test_notifications_page_and_unread_badge(client, org):
    customer = make_customer(org.sales, name="甲")
    _task(org, customer, due=timezone.now() - dt.timedelta(minutes=1))
    reminders_send()
    client.force_login(org.sales)
    html = client.get(reverse("customers:list")).content.decode()
    assert 'id="unread-count">1<' in html
    note = Notification.objects.get()
    response = client.get(reverse("followups:open", args=[note.pk]))
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])
    assert Notification.objects.get().read_at is not None
    client.force_login(org.east_sales2)
    assert client.get(reverse("followups:open", args=[note.pk])).status_code == 404


def test_a_partial_does_not_count_notifications(client, org):
    """The navigation bar's count is made only for a page that shows the bar."""
    customer = make_customer(org.sales, name="甲")
    client.force_login(org.sales)
    client.get(reverse("customers:timeline", args=[customer.pk]))  # session, warm-up
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("customers:timeline", args=[customer.pk])).status_code == 200
    assert not [q for q in ctx.captured_queries if "followups_notification" in q["sql"]]
