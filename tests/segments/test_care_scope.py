"""A care rule scoped to a segment: only its members are due, as of each day's
membership; a deleted segment cares for no one; a segment the editor may not see
cannot be chosen."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from kehu.care.agenda import agenda_compute
from kehu.care.models import CareRule, RuleKind
from kehu.customers.models import Customer
from kehu.segments.services import segment_create
from tests.care.factories import rule
from tests.conftest import Org
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

D = dt.date
FOSHAN = {"fact": "city", "op": "is", "value": "佛山"}


def _due(day: dt.date) -> set[int]:
    return {e.customer_id for chunk in agenda_compute(day, Customer.objects.all()) for e in chunk}


def test_a_birthday_rule_for_a_segment(org: Org) -> None:
    inside = make_customer(org.sales, name="佛山", city="佛山", birthday=D(1990, 9, 25))
    outside = make_customer(org.sales, name="广州", city="广州", birthday=D(1990, 9, 25))
    segment = segment_create(
        actor=org.admin, data={"name": "佛山客户", "rule": FOSHAN, "sharing": "shared"}
    )
    rule(RuleKind.BIRTHDAY, segment_id=segment.pk)
    assert _due(D(2026, 9, 25)) == {inside.pk}
    Customer.objects.filter(pk=outside.pk).update(city="佛山")  # joins the segment
    assert _due(D(2026, 9, 25)) == {inside.pk, outside.pk}
    segment.deleted_at = segment.created_at
    segment.save(update_fields=["deleted_at"])
    assert _due(D(2026, 9, 25)) == set()


def test_the_rule_form_offers_segments_the_editor_may_see(org: Org) -> None:
    shared = segment_create(
        actor=org.admin, data={"name": "共享分群", "rule": FOSHAN, "sharing": "shared"}
    )
    private = segment_create(actor=org.west_sales, data={"name": "西区私有", "rule": FOSHAN})
    client = Client()
    client.force_login(org.manager)
    page = client.get("/care/rules/new/")
    if page.status_code == 403:  # managers may not edit rules: the admin does
        client.force_login(org.admin)
        page = client.get("/care/rules/new/")
    html = page.content.decode()
    assert "共享分群" in html
    data = {
        "name": "佛山生日",
        "kind": RuleKind.BIRTHDAY,
        "active": "on",
        "days_before": "0",
        "create_task": "on",
        "task_kind": "call",
        "segment": str(shared.pk),
    }
    saved = client.post("/care/rules/new/", data)
    assert saved.status_code == 302, saved.content.decode()[:3000]
    assert CareRule.objects.get(name="佛山生日").segment_id == shared.pk
    if "西区私有" not in html:
        refused = client.post("/care/rules/new/", {**data, "name": "x", "segment": private.pk})
        assert refused.status_code == 422
        assert not CareRule.objects.filter(name="x").exists()
