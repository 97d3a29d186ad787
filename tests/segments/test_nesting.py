""" "In segment X" as a fact: it selects what X's rule (or list) selects, and segments
that would include each other, or name a segment the author cannot see, are refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from kehu.lifecycle import rules as rulebook
from kehu.segments.audience import rule_customers, rule_words
from kehu.segments.evaluate import segment_facts
from kehu.segments.models import Segment, SegmentKind
from kehu.segments.services import members_add, segment_create, segment_update
from tests.conftest import Org
from tests.segments.conftest import World

pytestmark = pytest.mark.django_db

TIER = {"fact": "tier", "op": ">=", "value": 2}
CITY = {"fact": "province", "op": "is", "value": "广东"}


def test_in_segment_is_that_segments_rule(org: Org, world: World) -> None:
    inner = segment_create(actor=org.admin, data={"name": "二星以上", "rule": TIER})
    rule = {"all": [{"fact": "segment", "op": "has", "value": str(inner.pk)}, CITY]}
    outer = segment_create(actor=org.admin, data={"name": "广东二星", "rule": rule})
    facts = segment_facts([c.pk for c in world.customers], now=world.now)
    expected = {pk for pk, row in facts.items() if rulebook.holds({"all": [TIER, CITY]}, row)}
    assert expected
    assert set(rule_customers(outer.rule, world.now).values_list("pk", flat=True)) == expected
    lacking = {"all": [{"fact": "segment", "op": "lacks", "value": str(inner.pk)}, CITY]}
    python = {
        pk for pk, row in facts.items() if rulebook.holds({"all": [{"not": TIER}, CITY]}, row)
    }
    assert set(rule_customers(lacking, world.now).values_list("pk", flat=True)) == python
    assert "在分群“二星以上”中" in rule_words(rule)


def test_in_a_static_list(org: Org, world: World) -> None:
    lst = segment_create(actor=org.admin, data={"name": "名单", "kind": SegmentKind.STATIC})
    picked = [c.pk for c in world.customers[:5]]
    members_add(actor=org.admin, segment=lst, customer_ids=picked)
    rule = {"fact": "segment", "op": "has", "value": str(lst.pk)}
    assert set(rule_customers(rule).values_list("pk", flat=True)) == set(picked)


def test_segments_may_not_include_each_other(org: Org) -> None:
    a = segment_create(actor=org.sales, data={"name": "甲", "rule": TIER})
    b = segment_create(
        actor=org.sales,
        data={"name": "乙", "rule": {"fact": "segment", "op": "has", "value": str(a.pk)}},
    )
    c = segment_create(
        actor=org.sales,
        data={"name": "丙", "rule": {"fact": "segment", "op": "has", "value": str(b.pk)}},
    )
    circle = {"any": [TIER, {"fact": "segment", "op": "has", "value": str(c.pk)}]}
    with pytest.raises(ValidationError) as refused:
        segment_update(actor=org.sales, segment=a, data={"rule": circle}, version=1)
    assert "甲 → 丙 → 乙 → 甲" in refused.value.message_dict["rule"][0]
    a.refresh_from_db()
    assert a.rule == TIER and a.version == 1
    myself = {"fact": "segment", "op": "has", "value": str(a.pk)}
    with pytest.raises(ValidationError):
        segment_update(actor=org.sales, segment=a, data={"rule": myself}, version=1)


def test_a_segment_the_author_cannot_see_or_a_deleted_one(org: Org) -> None:
    private = segment_create(actor=org.west_sales, data={"name": "私", "rule": TIER})
    rule = {"fact": "segment", "op": "has", "value": str(private.pk)}
    with pytest.raises(ValidationError) as refused:
        segment_create(actor=org.sales, data={"name": "借用", "rule": rule})
    assert "不存在或已删除" in refused.value.message_dict["rule"][0]
    Segment.objects.filter(pk=private.pk).update(deleted_at="2026-01-01T00:00:00Z")
    with pytest.raises(ValidationError):
        segment_create(actor=org.west_sales, data={"name": "借用", "rule": rule})
