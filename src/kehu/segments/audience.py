"""The customers of a segment or of a rule: checks of a rule against what exists, the
compilation context, and the Customer filter every count, page and sample goes through.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext

from kehu.accounts.models import User
from kehu.customers.audiences import Audience
from kehu.customers.models import Customer, Tag
from kehu.lifecycle import rules as rulebook
from kehu.lifecycle.models import Flag, LifecycleModel, Stage
from kehu.segments.access import access_segment
from kehu.segments.compile import Context, compiled, scalar
from kehu.segments.models import Segment, SegmentMember
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


def context_for(rule: Any, now: dt.datetime | None = None) -> Context:
    """What compiling ``rule`` reads: the latest good scoring run (and the RFM bins it
    scored with), and the ids of the models, stages, tags and flags it names."""
    models, stages, tags, flags = _named(rule)
    run = run_latest_good()
    settings = (run.detail or {}).get("settings") or {} if run is not None else {}
    context = Context(
        now=now or timezone.now(),
        run_id=run.pk if run is not None else None,
        bins=int(settings.get("rfm_bins") or 5),
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
    return errors


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
    if not segment.is_static and rule_errors(segment.rule):
        return Audience(segment.name, Q(pk__in=[]))
    return Audience(segment.name, segment_q(segment))


def names_for(rule: Any) -> dict[str, str]:
    """Display names of the models and stages ``rule`` names (``describe_condition``)."""
    models, stages, _tags, _flags = _named(rule)
    names: dict[str, str] = {}
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
