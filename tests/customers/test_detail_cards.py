"""The customer page's orders, quick forms and open follow-ups come from the orders,
interactions and follow-ups apps' template tags (customers sits below them)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.followups.services import task_create
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def _page(client, user, customer) -> str:
    client.force_login(user)
    response = client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_owner_sees_the_quick_forms_and_the_open_follow_ups(org, client):
    customer = make_customer(org.sales, name="甲")
    task = task_create(
        actor=org.sales,
        customer=customer,
        data={
            "kind": "call",
            "title": "电话回访甲",
            "due_at": timezone.now() + dt.timedelta(days=1),
        },
    )
    page = _page(client, org.sales, customer)
    assert 'id="quick"' in page
    assert reverse("interactions:create", args=[customer.pk]) in page
    assert 'name="due_at"' in page  # the task form
    assert "电话回访甲" in page and reverse("followups:finish", args=[task.pk]) in page
    assert "暂无订单" in page


def test_an_analyst_reads_the_tasks_but_gets_no_forms(org, client):
    customer = make_customer(org.sales, name="乙")
    task_create(
        actor=org.sales,
        customer=customer,
        data={
            "kind": "call",
            "title": "电话回访乙",
            "due_at": timezone.now() + dt.timedelta(days=1),
        },
    )
    page = _page(client, org.analyst, customer)
    assert 'id="quick"' not in page and 'name="due_at"' not in page
    assert "电话回访乙" in page and "followups/finish" not in page
