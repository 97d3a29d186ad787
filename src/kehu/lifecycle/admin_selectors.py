"""Reads for the admin pages of lifecycle models (模型、阶段、流转规则): the model list
with customers per stage, one model with its rules in words, the rule language's
reference, and the preview of a draft rule. Only admins reach these pages
(``access_models_admin``)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.lifecycle import rules as rulebook
from kehu.lifecycle.engine import plans_load, rule_preview, rule_spec
from kehu.lifecycle.models import CustomerStage, LifecycleModel, Rule, Stage

PREVIEW_SAMPLES = 10


def can_edit_models(user: User) -> bool:
    return user.is_active and user.is_admin_role


def access_models_admin(user: User) -> None:
    """Raise ``PermissionDenied`` (403) unless ``user`` may edit lifecycle models."""
    if not can_edit_models(user):
        raise PermissionDenied


# --- the model list ---------------------------------------------------------------------------


@dataclass
class StageCount:
    stage: Stage
    customers: int


@dataclass
class ModelRow:
    model: LifecycleModel
    stages: list[StageCount]
    rules: int

    @property
    def customers(self) -> int:
        return sum(row.customers for row in self.stages)


def stage_counts() -> dict[int, int]:
    """Live customers per stage now, over every model (one GROUP BY query)."""
    rows = (
        CustomerStage.objects.filter(customer__deleted_at__isnull=True)
        .values("stage_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["stage_id"]: row["n"] for row in rows}


def models_overview() -> list[ModelRow]:
    """Every model with its stages in order, customers per stage and its number of rules
    (three queries, whatever the number of models)."""
    models = list(
        LifecycleModel.objects.annotate(rule_count=Count("rules"))
        .prefetch_related("stages")
        .order_by("position", "pk")
    )
    counts = stage_counts()
    return [
        ModelRow(
            model,
            [
                StageCount(stage, counts.get(stage.pk, 0))
                for stage in sorted(model.stages.all(), key=lambda s: (s.position, s.pk))
            ],
            model.rule_count,  # type: ignore[attr-defined]
        )
        for model in models
    ]


# --- one model --------------------------------------------------------------------------------


@dataclass
class RuleRow:
    rule: Rule
    from_names: list[str]
    condition_text: str


def rule_row(rule: Rule, stages: list[Stage]) -> RuleRow:
    names = {stage.key: stage.name for stage in stages}
    return RuleRow(
        rule,
        [names.get(key, key) for key in rule.from_stages or ()],
        condition_words(rule.condition),
    )


def condition_words(condition: Any) -> str:
    """The condition in plain words (``rules.describe_condition``); a condition that
    does not validate is shown as its JSON."""
    if rulebook.validate(condition, _):
        return json.dumps(condition, ensure_ascii=False)[:300]
    return rulebook.describe_condition(condition, _)


@dataclass
class ModelDetail:
    model: LifecycleModel
    stages: list[Stage]
    rules: list[RuleRow] = field(default_factory=list)


def model_detail(model: LifecycleModel) -> ModelDetail:
    """The model's stages in order and its rules in priority order, in words."""
    stages = list(Stage.objects.filter(model=model).order_by("position", "pk"))
    rules = Rule.objects.filter(model=model).select_related("to_stage").order_by("priority", "pk")
    return ModelDetail(model, stages, [rule_row(rule, stages) for rule in rules])


# --- the rule language reference -----------------------------------------------------------


@dataclass(frozen=True)
class FactRow:
    name: str
    label: str
    unit: str
    kind: str
    help: str
    available: bool


def fact_reference() -> list[FactRow]:
    rows = []
    for fact in rulebook.FACTS.values():
        if fact.scope == rulebook.SEGMENT:
            continue  # offered to segments only (the lifecycle rules refuse them)
        if fact.kind == rulebook.SET:
            kind = _("名称集合")
        elif fact.money:
            kind = _("金额")
        else:
            kind = _("数字")
        if fact.time:
            kind += _("（随时间变化）")
        rows.append(
            FactRow(
                fact.name,
                fact.text(_),
                _(fact.unit) if fact.unit else "",
                kind,
                _(fact.help) if fact.help else "",
                fact.available,
            )
        )
    return rows


OPERATORS = [
    (">  >=  <  <=  ==  !=", gettext_noop("比较数字；value 为数字，或相对值")),
    ('{"fact": …, "times": n}', gettext_noop("相对值：另一个事实的 n 倍，如平均购买间隔的 2 倍")),
    ("has  lacks", gettext_noop("标签、人工标记：有 / 没有某个名称")),
    ("known  unknown", gettext_noop("事实已知 / 未知（如从未购买时购买间隔未知），不写 value")),
    ('{"all": [...]}', gettext_noop("全部成立（且）")),
    ('{"any": [...]}', gettext_noop("任一成立（或）")),
    ('{"not": {...}}', gettext_noop("不成立（非）")),
]


def operator_reference() -> list[tuple[str, str]]:
    return [(syntax, _(meaning)) for syntax, meaning in OPERATORS]


LAPSED = {
    "all": [
        {
            "fact": "days_since_last_order",
            "op": ">=",
            "value": {"fact": "median_gap_days", "times": 2},
        },
        {"fact": "days_since_last_order", "op": ">=", "value": 60},
    ]
}
BIG_SPENDER = {
    "any": [
        {"fact": "revenue_90d", "op": ">=", "value": 5000},
        {"fact": "tags", "op": "has", "value": "VIP"},
    ]
}
UNHAPPY = {
    "any": [
        {"fact": "open_severe_complaints", "op": ">=", "value": 1},
        {"fact": "latest_csat", "op": "<=", "value": 2},
    ]
}
EXAMPLES: list[tuple[str, dict[str, Any]]] = [
    (gettext_noop("超过其平均购买间隔 2 倍且至少 60 天未购买"), LAPSED),
    (gettext_noop("近 90 天收入至少 5000 元，或有“VIP”标签"), BIG_SPENDER),
    (gettext_noop("有未关闭的严重投诉，或最近满意度不高于 2 分"), UNHAPPY),
]


@dataclass(frozen=True)
class Example:
    title: str
    words: str
    json: str


def condition_examples() -> list[Example]:
    return [
        Example(
            _(title),
            rulebook.describe_condition(condition, _),
            json.dumps(condition, ensure_ascii=False, indent=2),
        )
        for title, condition in EXAMPLES
    ]


# --- preview ----------------------------------------------------------------------------------


@dataclass
class PreviewSample:
    customer: Customer
    current: Stage | None


@dataclass
class Preview:
    rule: Rule
    from_names: list[str]
    total: int
    by_target: list[tuple[Stage, int]]  # where the moved customers end up (may chain on)
    samples: list[PreviewSample]
    # A large book is estimated from a random sample of ``evaluated`` of its
    # ``population`` customers: the counts above are then scaled to the whole.
    estimated: bool = False
    evaluated: int = 0
    population: int = 0


def rule_draft_preview(rule: Rule, *, now: dt.datetime) -> Preview:
    """How many customers ``rule`` (a validated, unsaved draft) would move today, where
    to, and up to ten of them, without writing (``engine.rule_preview``)."""
    model = rule.model
    plans = plans_load([model.key])
    plan = plans[0] if plans else None
    stages = list(Stage.objects.filter(model=model).order_by("position", "pk"))
    names = {stage.key: stage.name for stage in stages}
    from_names = [names.get(key, key) for key in rule.from_stages or ()]
    if plan is None:
        return Preview(rule, from_names, 0, [], [])
    spec = rule_spec(rule, plan.stage_key_by_id)
    samples: list[int] = []
    counts = rule_preview(spec, plan, now=now, samples=samples, sample_size=PREVIEW_SAMPLES)
    scale = counts.population / counts.evaluated if counts.sampled else 1.0
    by_target = [
        (stage, round(counts.moved[stage.key] * scale))
        for stage in stages
        if counts.moved.get(stage.key)
    ]
    return Preview(
        rule,
        from_names,
        sum(n for _stage, n in by_target),
        by_target,
        _preview_samples(model, samples),
        estimated=counts.sampled,
        evaluated=counts.evaluated,
        population=counts.population,
    )


def _preview_samples(model: LifecycleModel, ids: list[int]) -> list[PreviewSample]:
    customers = Customer.objects.in_bulk(ids)
    current: dict[int, Stage] = {}
    for row in CustomerStage.objects.filter(model=model, customer_id__in=ids).select_related(
        "stage"
    ):
        current[row.customer_id] = row.stage
    return [PreviewSample(customers[pk], current.get(pk)) for pk in ids if pk in customers]
