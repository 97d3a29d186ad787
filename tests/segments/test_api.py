"""/api/v1/segments: the round trip, refusals with stable codes, counts and members."""

from __future__ import annotations

import pytest

from kehu.segments.models import Segment
from tests.conftest import Org
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

RULE = {"fact": "city", "op": "is", "value": "佛山"}


def test_segments_through_the_api(org: Org, as_user) -> None:
    mine = make_customer(org.sales, name="甲", city="佛山", phones=("13800138000",))
    make_customer(org.west_sales, name="乙", city="佛山")
    pool = make_customer(None, name="公海", city="佛山", phones=("13900139000",))
    sales = as_user(org.sales)
    created = sales.post("/api/v1/segments", {"name": "佛山客户", "rule": RULE})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["version"] == 1 and "佛山" in body["rule_text"]
    url = f"/api/v1/segments/{body['id']}"
    assert sales.get(url).json()["name"] == "佛山客户"
    assert sales.get(f"{url}/count").json() == {"id": body["id"], "count": 2}
    page = sales.get(f"{url}/customers", {"page": 1}).json()
    assert {c["id"] for c in page["items"]} == {mine.pk, pool.pk}
    shown = {c["id"]: c for c in page["items"]}
    assert shown[pool.pk]["phones"] == [] and shown[mine.pk]["phones"] == ["+8613800138000"]
    assert sales.get(f"{url}/customers", {"page": 9}).json()["code"] == "page_out_of_range"
    assert as_user(org.admin).get(f"{url}/count").json()["count"] == 3
    # Private: others do not see it.
    assert as_user(org.east_sales2).get(url).status_code == 404
    assert as_user(org.east_sales2).get(f"{url}/count").status_code == 404
    # Changes need the version; a stale one is a conflict.
    assert sales.patch(url, {"name": "x"}).status_code == 428
    renamed = sales.patch(url, {"name": "佛山", "sharing": "shared", "version": 1})
    assert renamed.status_code == 200 and renamed.json()["version"] == 2
    assert sales.patch(url, {"name": "y", "version": 1}).json()["code"] == "conflict"
    assert as_user(org.west_sales).get(url).status_code == 200
    assert as_user(org.west_sales).patch(url, {"name": "z", "version": 2}).status_code == 403
    listed = {s["id"] for s in as_user(org.west_sales).get("/api/v1/segments").json()}
    assert body["id"] in listed and len(listed) == 9  # with the eight RFM segments
    assert sales.delete(url, **{"If-Match": '"2"'}).status_code == 204
    assert sales.get(url).status_code == 404


@pytest.mark.parametrize(
    "rule",
    [
        {"fact": "nope", "op": ">", "value": 1},
        {"fact": "orders_count", "op": "has", "value": "x"},
        {"fact": "tags", "op": "has", "value": "不存在的标签"},
        {"fact": "stage", "model": "nope", "op": "is", "value": "x"},
    ],
)
def test_bad_rules_answer_invalid_rule(org: Org, as_user, rule: dict) -> None:
    before = Segment.objects.count()
    answer = as_user(org.sales).post("/api/v1/segments", {"name": "坏", "rule": rule})
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "invalid_rule" and body["errors"]["rule"]
    assert Segment.objects.count() == before


def test_facts_are_listed(org: Org, as_user) -> None:
    facts = {f["name"]: f for f in as_user(org.analyst).get("/api/v1/segments/facts").json()}
    assert facts["stage"]["per_model"] and facts["gender"]["choices"] == ["male", "female"]
    assert "days_in_stage" not in facts and "tier" in facts


def test_static_list_members_through_the_api(org: Org, as_user) -> None:
    mine = make_customer(org.sales, name="甲")
    theirs = make_customer(org.west_sales, name="乙")
    sales = as_user(org.sales)
    created = sales.post("/api/v1/segments", {"name": "名单", "kind": "static"}).json()
    url = f"/api/v1/segments/{created['id']}"
    changed = sales.post(f"{url}/members", {"add": [mine.pk, theirs.pk]})
    assert changed.json() == {"added": 1, "removed": 0}
    assert sales.get(f"{url}/count").json()["count"] == 1
    assert as_user(org.east_sales2).post(f"{url}/members", {"add": [mine.pk]}).status_code == 404
    assert sales.post(f"{url}/members", {"remove": [mine.pk]}).json()["removed"] == 1
    rule = sales.post("/api/v1/segments", {"name": "条件", "rule": RULE}).json()
    refused = sales.post(f"/api/v1/segments/{rule['id']}/members", {"add": [mine.pk]})
    assert refused.status_code == 422 and refused.json()["code"] == "invalid"
