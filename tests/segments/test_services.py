"""Saving segments: refused rules change nothing, versions, static lists, the nightly
sizes, the ready-made RFM segments."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from kehu.core.errors import ConflictError
from kehu.customers.models import Tag
from kehu.lifecycle import rules as rulebook
from kehu.lifecycle.models import Stage
from kehu.segments.audience import segment_customers
from kehu.segments.builtin import RFM_EIGHT
from kehu.segments.evaluate import segment_facts
from kehu.segments.models import Segment, SegmentKind, SegmentSnapshot
from kehu.segments.selectors import rule_preview, segment_count, segment_page
from kehu.segments.services import (
    members_add,
    members_remove,
    segment_create,
    segment_delete,
    segment_update,
    snapshots_take,
)
from kehu.segments.tasks import segments_nightly
from tests.conftest import Org
from tests.factories import make_customer
from tests.segments.conftest import World

pytestmark = pytest.mark.django_db

RULE = {"fact": "orders_count", "op": ">=", "value": 1}


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ({"fact": "nope", "op": ">", "value": 1}, "未知的事实"),
        ({"fact": "orders_count", "op": ">", "value": "many"}, "必须是数字"),
        ({"fact": "province", "op": ">", "value": 1}, "只能用 is"),
        ({"fact": "gender", "op": "is", "value": "robot"}, "不在可选值"),
        ({"fact": "days_in_stage", "op": ">", "value": 1}, "只能用于生命周期规则"),
        ({"fact": "stage", "op": "is", "value": "new"}, "需要指定生命周期模型"),
        ({"fact": "stage", "model": "gone", "op": "is", "value": "new"}, "不存在或已删除"),
        ({"fact": "tags", "op": "has", "value": "没有这个标签"}, "不存在或已删除"),
        ({"fact": "age", "op": ">", "value": {"fact": "tier", "times": 2}}, "按倍数比较"),
        ({"fact": "custom_text", "op": "is", "value": "A"}, "需要指定自定义字段"),
        ({"fact": "custom_text", "field": "gone", "op": "is", "value": "A"}, "不存在或已删除"),
        ({"fact": "order_channels", "op": "has", "value": "mars"}, "不在可选值"),
        ("not json", "必须是对象"),
    ],
)
def test_a_refused_rule_saves_nothing(org: Org, rule: object, words: str) -> None:
    before = Segment.objects.count()
    with pytest.raises(ValidationError) as refused:
        segment_create(actor=org.sales, data={"name": "坏", "rule": rule})
    assert words in " ".join(refused.value.message_dict["rule"])
    assert Segment.objects.count() == before


def test_a_deleted_stage_or_tag_breaks_the_rule_clearly(org: Org) -> None:
    tag = Tag.objects.create(name="临时")
    stage = Stage.objects.filter(model__is_default=True).first()
    assert stage is not None
    rule = {
        "all": [
            {"fact": "tags", "op": "has", "value": "临时"},
            {"fact": "stage", "model": stage.model.key, "op": "is", "value": stage.key},
        ]
    }
    segment = segment_create(actor=org.sales, data={"name": "临时", "rule": rule})
    tag.delete()
    preview = rule_preview(org.sales, segment.rule)
    assert any("临时" in e and "已删除" in e for e in preview.errors)
    with pytest.raises(ValidationError):
        segment_update(actor=org.sales, segment=segment, data={"name": "新名"}, version=1)
    segment.refresh_from_db()
    assert segment.name == "临时" and segment.version == 1
    assert snapshots_take()["broken"] == 1


def test_versions_and_soft_delete(org: Org) -> None:
    segment = segment_create(actor=org.sales, data={"name": "甲", "rule": RULE})
    changed = segment_update(actor=org.sales, segment=segment, data={"name": "乙"}, version=1)
    assert changed.version == 2
    with pytest.raises(ConflictError):
        segment_update(actor=org.sales, segment=segment, data={"name": "丙"}, version=1)
    with pytest.raises(PermissionDenied):
        segment_delete(actor=org.east_sales2, segment=segment)
    segment_delete(actor=org.sales, segment=segment, version=2)
    segment.refresh_from_db()
    assert segment.deleted_at is not None


def test_static_list_members_are_what_the_reader_sees(org: Org) -> None:
    mine = make_customer(org.sales, name="我的")
    theirs = make_customer(org.west_sales, name="别人的")
    pool = make_customer(None, name="公海")
    segment = segment_create(actor=org.sales, data={"name": "名单", "kind": SegmentKind.STATIC})
    assert members_add(actor=org.sales, segment=segment, customer_ids=[mine.pk, theirs.pk]) == 1
    assert members_add(actor=org.sales, segment=segment, customer_ids=[mine.pk, pool.pk]) == 1
    assert segment_count(org.sales, segment) == 2
    assert {c.pk for c in segment_page(org.sales, segment).items} == {mine.pk, pool.pk}
    assert members_remove(actor=org.sales, segment=segment, customer_ids=[pool.pk]) == 1
    assert segment_count(org.admin, segment) == 1
    with pytest.raises(PermissionDenied):
        members_add(actor=org.east_sales2, segment=segment, customer_ids=[mine.pk])
    rule_segment = segment_create(actor=org.sales, data={"name": "条件", "rule": RULE})
    with pytest.raises(ValidationError):
        members_add(actor=org.sales, segment=rule_segment, customer_ids=[mine.pk])


def test_counts_only_what_the_reader_sees(org: Org, world: World) -> None:
    segment = segment_create(
        actor=org.admin, data={"name": "全部", "rule": RULE, "sharing": "shared"}
    )
    everyone = segment_count(org.admin, segment)
    assert 0 < segment_count(org.sales, segment) < everyone
    assert segment_count(org.west_sales, segment) < everyone


def test_the_eight_rfm_segments_split_the_scored(world: World) -> None:
    facts = segment_facts([c.pk for c in world.customers], now=world.now)
    scored = {pk for pk, row in facts.items() if row.get("rfm_r") is not None}
    seen: set[int] = set()
    for key, name, *_hml in RFM_EIGHT:
        segment = Segment.objects.get(builtin=key)
        assert segment.name == name and segment.sharing == "shared"
        members = set(segment_customers(segment).values_list("pk", flat=True))
        assert not members & seen, "the eight are disjoint"
        seen |= members
        assert members == {pk for pk in scored if rulebook.holds(segment.rule, facts[pk])}
    assert seen == scored, "every scored customer is in exactly one"


def test_nightly_sizes_once_a_day(org: Org, world: World) -> None:
    first = segments_nightly()
    assert first["taken"] == Segment.objects.filter(deleted_at__isnull=True).count()
    again = segments_nightly()
    assert again["taken"] == 0 and again["skipped"] == first["taken"]
    today = timezone.localdate()
    assert SegmentSnapshot.objects.filter(date=today).count() == first["taken"]
    snapshots_take(day=today + dt.timedelta(days=1))
    assert SegmentSnapshot.objects.count() == 2 * first["taken"]


def test_the_command(org: Org, world: World, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("segments", "list")
    call_command("segments", "count", str(Segment.objects.get(builtin="rfm_general_retain").pk))
    call_command("segments", "snapshot")
    out = capsys.readouterr().out
    assert "重要价值客户" in out and "一般挽留客户:" in out and "sized" in out
