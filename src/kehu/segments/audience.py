"""The customers of a segment or of a rule: checks of a rule against what exists, the
compilation context, and the Customer filter every count, page and sample goes through.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext

from kehu.accounts.models import User
from kehu.customers.audiences import Audience
from kehu.customers.models import Customer, CustomFieldDefinition, Tag
from kehu.lifecycle import rules as rulebook
from kehu.lifecycle.models import Flag, LifecycleModel, Stage
from kehu.segments.access import access_segment
from kehu.segments.compile import Context, compiled, scalar
from kehu.segments.models import Segment, SegmentKind, SegmentMember
from kehu.value.selectors import run_latest_good

gettext_noop = rulebook.gettext_noop


def _named(rule: Any) -> tuple[set[str], set[tuple[str, str]], set[str], set[str]]:
    """The model keys, (model, stage) keys, tag names and flag keys ``rule`` names."""
    models: set[str] = set()
    stages: set[tuple[str, str]] = set()
    tags: set[str] = set()
    flags: set[str] = set()
    for leaf in rulebook.leaves(rule):
        name, model, value = leaf.get("fact"), leaf.get("model"), leaf.get("value")
        if isinstance(model, str):
            models.add(model)
            if name == "stage" and isinstance(value, str):
                stages.add((model, value))
        if name == "tags" and isinstance(value, str):
            tags.add(value)
        if name == "flags" and isinstance(value, str):
            flags.add(value)
    return models, stages, tags, flags


MAX_NESTING = 8


def _segment_ids(rule: Any) -> set[str]:
    return {
        str(leaf.get("value"))
        for leaf in rulebook.leaves(rule)
        if leaf.get("fact") == "segment" and leaf.get("value") is not None
    }


def _nested(rule: Any) -> tuple[dict[str, tuple[bool, Any]], list[Any]]:
    """The alive segments ``rule`` names, and those they name in turn (to
    ``MAX_NESTING`` levels): id → (static, rule); and every rule met on the way."""
    found: dict[str, tuple[bool, Any]] = {}
    rules = [rule]
    wanted = _segment_ids(rule)
    for _level in range(MAX_NESTING):
        ids = [int(pk) for pk in wanted - set(found) if pk.isdigit() and len(pk) < 18]
        if not ids:
            break
        wanted = set()
        for pk, kind, nested in Segment.objects.filter(
            pk__in=ids, deleted_at__isnull=True
        ).values_list("pk", "kind", "rule"):
            found[str(pk)] = (kind == SegmentKind.STATIC, nested)
            if nested and kind != SegmentKind.STATIC:
                rules.append(nested)
                wanted |= _segment_ids(nested)
    return found, rules


def context_for(rule: Any, now: dt.datetime | None = None) -> Context:
    """What compiling ``rule`` reads: the latest good scoring run (and the RFM bins it
    scored with), the segments it names, and the ids of the models, stages, tags and
    flags it (or a segment it names) names."""
    nested, rules = _nested(rule)
    models, stages, tags, flags = set(), set(), set(), set()
    for each in rules:
        m, st, t, f = _named(each)
        models |= m
        stages |= st
        tags |= t
        flags |= f
    run = run_latest_good()
    settings = (run.detail or {}).get("settings") or {} if run is not None else {}
    context = Context(
        now=now or timezone.now(),
        run_id=run.pk if run is not None else None,
        bins=int(settings.get("rfm_bins") or 5),
        segments=nested,
    )
    if models:
        context.models = dict(
            LifecycleModel.objects.filter(key__in=models).values_list("key", "id")
        )
    if stages:
        for model_key, stage_key, stage_id in Stage.objects.filter(
            model__key__in={m for m, _s in stages}, key__in={s for _m, s in stages}
        ).values_list("model__key", "key", "id"):
            context.stages[(model_key, stage_key)] = stage_id
    if tags:
        context.tags = dict(Tag.objects.filter(name__in=tags).values_list("name", "id"))
    if flags:
        context.flags = dict(Flag.objects.filter(key__in=flags).values_list("key", "id"))
    return context


def rule_errors(rule: Any) -> list[str]:
    """Everything wrong with ``rule`` as a segment's condition, in the reader's language:
    the rule language's own checks, then what it names that does not exist (a deleted
    stage, model, tag or flag). Empty: it may be saved and counted."""
    errors = rulebook.validate(rule, gettext, rulebook.SEGMENT)
    if errors:
        return errors
    for leaf in rulebook.leaves(rule):
        value = leaf.get("value")
        if isinstance(value, dict) and not (scalar(leaf["fact"]) and scalar(value["fact"])):
            errors.append(
                gettext("“%(fact)s”不能与其他事实按倍数比较；请与一个数字比较。")
                % {"fact": rulebook.FACTS[leaf["fact"]].text(gettext)}
            )
    context = context_for(rule)
    models, stages, tags, flags = _named(rule)
    for key in sorted(models - set(context.models)):
        errors.append(gettext("生命周期模型“%(key)s”不存在或已删除。") % {"key": key})
    for model, stage in sorted(stages - set(context.stages)):
        if model in context.models:
            errors.append(
                gettext("阶段“%(stage)s”不在模型“%(model)s”中（可能已删除）。")
                % {"stage": stage, "model": model}
            )
    for name in sorted(tags - set(context.tags)):
        errors.append(gettext("标签“%(name)s”不存在或已删除。") % {"name": name})
    for key in sorted(flags - set(context.flags)):
        errors.append(gettext("人工标记“%(key)s”不存在或已删除。") % {"key": key})
    fields = {str(leaf["field"]) for leaf in rulebook.leaves(rule) if leaf.get("field")}
    known_fields = set(
        CustomFieldDefinition.objects.filter(key__in=fields).values_list("key", flat=True)
    )
    for key in sorted(fields - known_fields):
        errors.append(gettext("自定义字段“%(key)s”不存在或已删除。") % {"key": key})
    for pk in sorted(_segment_ids(rule) - set(context.segments)):
        errors.append(gettext("分群“%(id)s”不存在或已删除。") % {"id": pk})
    return errors


def segment_cycle(segment_id: int | None, rule: Any) -> list[str]:
    """The ids of a circle of segments including each other that saving ``rule`` on
    segment ``segment_id`` would close (``["3", "5", "3"]``), or []."""
    if segment_id is None:
        return []
    nested, _rules = _nested(rule)
    me = str(segment_id)
    graph = {pk: _segment_ids(r) if not static else set() for pk, (static, r) in nested.items()}
    graph[me] = _segment_ids(rule)

    def walk(node: str, path: list[str]) -> list[str]:
        for target in sorted(graph.get(node, ())):
            if target == me:
                return [*path, target]
            if target not in path:
                found = walk(target, [*path, target])
                if found:
                    return found
        return []

    return walk(me, [me])


def rule_check(rule: Any) -> None:
    errors = rule_errors(rule)
    if errors:
        raise rulebook.RuleError(errors)


def rule_filter(rule: Mapping[str, Any], now: dt.datetime | None = None) -> RawSQL:
    """A boolean expression over ``Customer`` rows: the customers ``rule`` holds for."""
    sql, params = compiled(rule, context_for(rule, now))
    return RawSQL(sql, params, output_field=BooleanField())


def rule_customers(rule: Mapping[str, Any], now: dt.datetime | None = None) -> QuerySet[Customer]:
    """Every alive customer ``rule`` holds for (not scoped to a reader)."""
    return Customer.objects.alive().filter(rule_filter(rule, now))


def segment_q(segment: Segment, now: dt.datetime | None = None) -> Q:
    """A filter over Customer rows: the members of ``segment`` (a rule's, or a list's)."""
    if segment.is_static:
        return Q(pk__in=SegmentMember.objects.filter(segment=segment).values("customer_id"))
    if not segment.rule:
        return Q(pk__in=[])
    return Q(rule_filter(segment.rule, now))


def segment_customers(segment: Segment, now: dt.datetime | None = None) -> QuerySet[Customer]:
    """Every alive member of ``segment`` (not scoped to a reader: the nightly size)."""
    return Customer.objects.alive().filter(segment_q(segment, now))


def segment_audience(user: User, segment_id: int) -> Audience:
    """The customer list's ``?segment=``: a segment the user may see (``Http404``
    otherwise); a segment whose rule no longer holds together lists no one."""
    segment = access_segment(user, segment_id)
    return Audience(segment.name, _members_q(segment))


def segment_members_q(segment_id: int) -> Q | None:
    """A segment's members for a job (a care rule's agenda): None once it is deleted."""
    segment = Segment.objects.filter(pk=segment_id, deleted_at__isnull=True).first()
    return _members_q(segment) if segment is not None else None


def _members_q(segment: Segment) -> Q:
    """A segment's members as a filter that holds in any query: a segment whose rule no
    longer holds together has none."""
    if not segment.is_static and rule_errors(segment.rule):
        return Q(pk__in=[])
    if segment.is_static or not segment.rule:
        return segment_q(segment)
    # The compiled rule names the customer table itself: as its own subquery it holds
    # wherever the filter lands (another app's subquery relabels the outer table).
    sql, params = compiled(segment.rule, context_for(segment.rule))
    table = connection.ops.quote_name(Customer._meta.db_table)
    return Q(pk__in=RawSQL(f"SELECT {table}.id FROM {table} WHERE {sql}", params))


def names_for(rule: Any) -> dict[str, str]:
    """Display names of the models and stages ``rule`` names (``describe_condition``)."""
    models, stages, _tags, _flags = _named(rule)
    names: dict[str, str] = {}
    ids = [int(pk) for pk in _segment_ids(rule) if pk.isdigit() and len(pk) < 18]
    for pk, name in Segment.objects.filter(pk__in=ids).values_list("pk", "name"):
        names[f"segment:{pk}"] = name
    fields = {str(leaf["field"]) for leaf in rulebook.leaves(rule) if leaf.get("field")}
    for key, label in CustomFieldDefinition.objects.filter(key__in=fields).values_list(
        "key", "label"
    ):
        names[f"field:{key}"] = label
    for key, name in LifecycleModel.objects.filter(key__in=models).values_list("key", "name"):
        names[f"model:{key}"] = name
    for model, key, name in Stage.objects.filter(
        model__key__in=models, key__in={s for _m, s in stages}
    ).values_list("model__key", "key", "name"):
        names[f"stage:{model}:{key}"] = name
    return names


def rule_words(rule: Any) -> str:
    """The rule in plain words, in the reader's language (the explainer)."""
    if not isinstance(rule, dict) or rulebook.validate(rule, scope=rulebook.SEGMENT):
        return ""
    return rulebook.describe_condition(rule, gettext, names_for(rule))
