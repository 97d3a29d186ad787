"""Tasks and notifications the system words read in the reader's language (pages, API),
e-mails in the site's language; rows written with words keep them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from kehu.customers.models import PoolNotice
from kehu.followups.models import Notification, Task
from kehu.followups.reminders import reminders_send
from kehu.followups.services import task_create, task_update
from tests.api.conftest import api_client_for
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def _page(client, url, language):
    client.cookies["django_language"] = language
    return client.get(url).content.decode()


def _untitled(org, customer, *, due):
    return task_create(
        actor=org.sales, customer=customer, data={"kind": "visit", "title": "", "due_at": due}
    )


def test_a_task_titled_by_its_kind_reads_in_each_language(org, client):
    customer = make_customer(org.sales, name="甲")
    with translation.override("zh-hans"):
        task = _untitled(org, customer, due=timezone.now() + dt.timedelta(hours=2))
    assert (task.title, task.message, task.params) == ("", "followups.kind", {"kind": "visit"})
    client.force_login(org.sales)
    assert "On-site visit" in _page(client, reverse("followups:my_work"), "en")
    assert "上门拜访" in _page(client, reverse("followups:my_work"), "zh-hans")
    api = api_client_for(org.sales)
    read = api.get(f"/api/v1/tasks/{task.pk}", **{"Accept-Language": "en"}).json()
    assert read["title"] == "On-site visit"
    read = api.get(f"/api/v1/tasks/{task.pk}", **{"Accept-Language": "zh-hans"}).json()
    assert read["title"] == "上门拜访"


def test_reminders_read_in_the_readers_language_and_mail_in_the_sites(org, client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    org.sales.email = "sales@example.com"
    org.sales.save()
    customer = make_customer(org.sales, name="甲")
    with translation.override("en"):  # whoever made it, the job words nothing
        _untitled(org, customer, due=timezone.now() - dt.timedelta(minutes=1))
    PoolNotice.objects.create(
        customer=customer,
        owner=org.sales,
        rule="followup",
        due_at=timezone.now() + dt.timedelta(days=3),
    )
    with translation.override("en"):
        reminders_send()
    due, pool = (
        Notification.objects.get(key__startswith=prefix) for prefix in ("task_due", "pool")
    )
    assert (due.title, due.body, due.message) == ("", "", "followups.task_due")
    assert pool.message == "followups.pool_notice"
    # E-mail: the site's language (users have none of their own).
    subjects = sorted(message.subject for message in mail.outbox)
    assert subjects == ["[Kehu] 回访到期：上门拜访", "[Kehu] 客户即将退回公海：甲"]
    assert any(message.body.startswith("客户：甲，截止") for message in mail.outbox)
    client.force_login(org.sales)
    english = _page(client, reverse("followups:notifications"), "en")
    assert "Follow-up due: On-site visit" in english and "Customer about to return" in english
    assert "回访到期" not in english and "客户即将退回公海" not in english
    chinese = _page(client, reverse("followups:notifications"), "zh-hans")
    assert "回访到期：上门拜访" in chinese and "客户即将退回公海：甲" in chinese


def test_notifications_and_tasks_written_with_words_keep_them(org, client):
    customer = make_customer(org.sales, name="甲")
    task = Task.objects.create(
        customer=customer,
        assignee=org.sales,
        kind="call",
        title="生日关怀：农历生日（八月十五）",
        notes="旧说明",
        due_at=timezone.now() + dt.timedelta(hours=1),
    )
    Notification.objects.create(
        user=org.sales,
        key="old:1",
        title="回访到期：旧任务",
        body="客户：甲",
        created_at=timezone.now(),
    )
    client.force_login(org.sales)
    for language in ("en", "zh-hans"):
        assert "回访到期：旧任务" in _page(client, reverse("followups:notifications"), language)
        assert "生日关怀：农历生日（八月十五）" in _page(
            client, reverse("followups:my_work"), language
        )
    assert task.title_text == task.title and task.notes_text == "旧说明"


def test_editing_a_worded_task_keeps_its_words_unless_new_ones_are_typed(org):
    customer = make_customer(org.sales, name="甲")
    task = _untitled(org, customer, due=timezone.now() + dt.timedelta(days=1))
    # Sent back as shown (in English): nothing typed, the task still reads in each language.
    with translation.override("en"):
        task = task_update(
            actor=org.sales,
            task=task,
            version=task.version,
            data={"title": "On-site visit", "notes": "带上样品"},
        )
    assert (task.message, task.title, task.notes) == ("followups.kind", "", "带上样品")
    assert task.title_text == "上门拜访"
    # A title of one's own replaces the words.
    task = task_update(actor=org.sales, task=task, version=task.version, data={"title": "周五上门"})
    assert (task.message, task.params, task.title) == ("", None, "周五上门")
    with translation.override("en"):
        assert task.title_text == "周五上门"
