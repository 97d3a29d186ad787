"""What the builder's rows offer, for its script (``json_script``): the facts a segment
may read with their labels, operators and choices, the lifecycle models with their
stages, the tags and the flags — all in the reader's language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.customers.models import CustomFieldDefinition, Tag
from kehu.lifecycle import rules as rulebook
from kehu.lifecycle.models import Flag, LifecycleModel, Stage
from kehu.orders.models import Product
from kehu.segments.access import segments_visible_to

OP_LABELS = {
    ">": ">",
    ">=": "≥",
    "<": "<",
    "<=": "≤",
    "==": "=",
    "!=": "≠",
    "is": rulebook.gettext_noop("是"),
    "is_not": rulebook.gettext_noop("不是"),
    "has": rulebook.gettext_noop("有"),
    "lacks": rulebook.gettext_noop("没有"),
    "known": rulebook.gettext_noop("已知"),
    "unknown": rulebook.gettext_noop("未知"),
}


def _ops(kind: str) -> list[str]:
    if kind == rulebook.SET:
        return list(rulebook.SET_OPS)
    if kind == rulebook.TEXT:
        return [*rulebook.TEXT_OPS, *rulebook.PRESENCE_OPS]
    return [*rulebook.NUMBER_OPS, *rulebook.PRESENCE_OPS]


def builder_catalogue(user: User) -> dict[str, Any]:
    stages: dict[int, list[list[str]]] = {}
    for model_id, key, name in Stage.objects.order_by("model_id", "position", "pk").values_list(
        "model_id", "key", "name"
    ):
        stages.setdefault(model_id, []).append([key, name])
    facts = [
        {
            "name": fact.name,
            "label": fact.text(_),
            "unit": _(fact.unit) if fact.unit else "",
            "kind": fact.kind,
            "ops": _ops(fact.kind),
            "per_model": fact.per_model,
            "per_field": fact.per_field,
            "choices": [[code, _(label)] for code, label in fact.choices],
            "help": _(fact.help) if fact.help else "",
        }
        for fact in rulebook.FACTS.values()
        if fact.scope != rulebook.LIFECYCLE and not fact.state and fact.available
    ]
    return {
        "facts": facts,
        "ops": {op: _(label) for op, label in OP_LABELS.items()},
        "models": [
            {"key": key, "name": name, "stages": stages.get(pk, [])}
            for pk, key, name in LifecycleModel.objects.order_by("position", "pk").values_list(
                "pk", "key", "name"
            )
        ],
        "segments": [
            [str(pk), name]
            for pk, name in segments_visible_to(user)
            .order_by("name")
            .values_list("pk", "name")[:500]
        ],
        "categories": [
            [c, c]
            for c in Product.objects.exclude(category="")
            .order_by("category")
            .values_list("category", flat=True)
            .distinct()[:500]
        ],
        "products": [
            [sku, f"{name}（{sku}）"]
            for sku, name in Product.objects.filter(is_active=True)
            .order_by("name", "sku")
            .values_list("sku", "name")[:500]
        ],
        "fields": [
            [key, label, "number" if kind == "number" else "text"]
            for key, label, kind in CustomFieldDefinition.objects.filter(is_active=True)
            .exclude(kind="date")
            .order_by("position", "pk")
            .values_list("key", "label", "kind")
        ],
        "tags": list(Tag.objects.order_by("name").values_list("name", flat=True)[:500]),
        "flags": [[k, n] for k, n in Flag.objects.order_by("name").values_list("key", "name")],
        "words": {
            "all": _("全部满足"),
            "any": _("满足任一"),
            "add": _("添加条件"),
            "add_group": _("添加条件组"),
            "remove": _("删除"),
            "fact": _("条件"),
            "op": _("比较方式"),
            "group_op": _("满足方式"),
            "value": _("值"),
            "model": _("模型"),
            "field": _("字段"),
            "complex": _("该条件的结构超出了可视化编辑的范围，请直接编辑下面的 JSON。"),
        },
    }
