"""The customer timeline: every kind, newest first, paged by cursor, bounded queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.customers.timeline import Cursor, customer_timeline, timeline_kinds
from kehu.followups.services import task_create
from kehu.interactions.models import Interaction
from kehu.interactions.services import interaction_log
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def test_all_kinds_newest_first_and_paged_without_gaps(org, django_assert_max_num_queries):
    customer = make_customer(org.sales, name="甲")
    base = timezone.now() - dt.timedelta(days=10)
    for i in range(30):
        interaction_log(
            actor=org.sales,
            customer=customer,
            data={
                "kind": "call",
                "notes": f"第{i}次",
                "occurred_at": base + dt.timedelta(hours=i // 3),
            },
        )
    task_create(
        actor=org.sales,
        customer=customer,
        data={"kind": "call", "title": "回访", "due_at": timezone.now()},
    )
    seen = []
    cursor = None
    while True:
        # One query per source, whatever the history's length.
        with django_assert_max_num_queries(len(timeline_kinds()) + 2):
            page = customer_timeline(customer, cursor=cursor, limit=7)
        seen.extend(page.events)
        if page.next_cursor is None:
            break
        cursor = Cursor.decode(page.next_cursor.encode())
    keys = [e.sort_key for e in seen]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == len(keys)
    kinds = {e.kind for e in seen}
    assert {"interaction", "task", "change", "owner"} <= kinds
    assert sum(e.kind == "interaction" for e in seen) == 30
    only = customer_timeline(customer, kinds=["interaction"], limit=100)
    assert {e.kind for e in only.events} == {"interaction"} and len(only.events) == 30


def test_bad_cursor_is_ignored():
    assert Cursor.decode("garbage") is None
    assert Cursor.decode("2026-01-01T00:00:00~task~x") is None
    assert Cursor.decode("2026-01-01T00:00:00~task~1") is None  # naive time


def test_timeline_partial_respects_access(client, org):
    customer = make_customer(org.sales, name="甲")
    interaction_log(actor=org.sales, customer=customer, data={"kind": "visit", "notes": "拜访了"})
    client.force_login(org.sales)
    html = client.get(reverse("customers:timeline", args=[customer.pk])).content.decode()
    assert "拜访了" in html
    html = client.get(
        reverse("customers:timeline", args=[customer.pk]), {"kind": "owner"}
    ).content.decode()
    assert "拜访了" not in html
    client.force_login(org.west_sales)
    assert client.get(reverse("customers:timeline", args=[customer.pk])).status_code == 404
    assert Interaction.objects.count() == 1
