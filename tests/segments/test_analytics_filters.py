"""A segment as the filter of the lifecycle analytics and of the at-risk list (page,
export, API): only its members, and a segment not the reader's is a 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from kehu.lifecycle.engine import lifecycle_evaluate
from kehu.segments.services import members_add, segment_create
from kehu.value.models import CustomerValue
from kehu.value.services import score_run
from tests.api.conftest import api_client_for
from tests.conftest import Org
from tests.factories import make_customer
from tests.value.factories import population

pytestmark = pytest.mark.django_db


def test_lifecycle_analytics_of_a_segment(org: Org) -> None:
    inside = make_customer(org.sales, name="甲", city="佛山")
    outside = make_customer(org.sales, name="乙")
    lifecycle_evaluate([inside.pk, outside.pk], now=timezone.now())
    listed = segment_create(actor=org.sales, data={"name": "名单", "kind": "static"})
    members_add(actor=org.sales, segment=listed, customer_ids=[inside.pk])
    client = Client()
    client.force_login(org.sales)
    everyone = client.get("/lifecycle/analytics/")
    assert sum(c.count for c in everyone.context["report"].counts) == 2
    assert "名单" in everyone.content.decode()
    one = client.get("/lifecycle/analytics/", {"segment": listed.pk})
    assert sum(c.count for c in one.context["report"].counts) == 1
    api = api_client_for(org.sales).get("/api/v1/lifecycle/stats", {"segment": listed.pk})
    assert api.status_code == 200
    assert sum(row["count"] for row in api.json()["counts"]) == 1
    other = Client()
    other.force_login(org.west_sales)
    assert other.get("/lifecycle/analytics/", {"segment": listed.pk}).status_code == 404
    # A rule's segment: its compiled SQL holds inside the analytics' subqueries too.
    named = segment_create(
        actor=org.sales,
        data={"name": "佛山的", "rule": {"fact": "city", "op": "is", "value": "佛山"}},
    )
    by_rule = client.get("/lifecycle/analytics/", {"segment": named.pk})
    assert sum(c.count for c in by_rule.context["report"].counts) == 1
    api = api_client_for(org.sales).get("/api/v1/lifecycle/stats", {"segment": named.pk})
    assert sum(row["count"] for row in api.json()["counts"]) == 1


def test_the_at_risk_list_of_a_segment(org: Org) -> None:
    population(org.sales, n=120)
    score_run(as_of=timezone.localdate())
    rows = CustomerValue.objects.values_list("customer_id", flat=True)
    warned = list(rows.filter(at_risk=True)[:3])
    calm = rows.filter(at_risk=False).first()
    assert len(warned) == 3 and calm is not None
    listed = segment_create(actor=org.sales, data={"name": "重点", "kind": "static"})
    members_add(actor=org.sales, segment=listed, customer_ids=[warned[0], calm])
    client = Client()
    client.force_login(org.sales)
    page = client.get("/value/at-risk/", {"segment": listed.pk})
    assert [item.value.customer_id for item in page.context["page"].items] == [warned[0]]
    assert f"?segment={listed.pk}" in page.content.decode()
    export = client.get("/value/at-risk/export.csv", {"segment": listed.pk})
    body = b"".join(export.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    assert len([line for line in body.splitlines() if line.strip()]) == 2  # header + one
    api = api_client_for(org.sales).get("/api/v1/analytics/at-risk", {"segment": listed.pk})
    assert [item["customer_id"] for item in api.json()["items"]] == [warned[0]]
    other = Client()
    other.force_login(org.west_sales)
    assert other.get("/value/at-risk/", {"segment": listed.pk}).status_code in (403, 404)
