"""Reads for the customer page and the API (access is checked by the caller through
``access_customer``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from kehu.customers.models import Customer
from kehu.lifecycle.models import (
    CustomerFlag,
    CustomerStage,
    Flag,
    LifecycleModel,
    Stage,
    StageChange,
)

HISTORY_LIMIT = 50


@dataclass
class ModelView:
    model: LifecycleModel
    stages: list[Stage]
    current: CustomerStage | None
    history: list[StageChange] = field(default_factory=list)  # newest first


def models_with_stages(*, active_only: bool = False) -> list[LifecycleModel]:
    query: QuerySet[LifecycleModel] = LifecycleModel.objects.prefetch_related("stages", "rules")
    if active_only:
        query = query.filter(is_active=True)
    return list(query.order_by("position", "pk"))


def customer_lifecycle(customer: Customer, *, history: int = HISTORY_LIMIT) -> list[ModelView]:
    """Per active model (and any model the customer has a stage in): its stages, the
    customer's current stage and the latest changes. A fixed number of queries."""
    current = {
        row.model_id: row
        for row in CustomerStage.objects.filter(customer=customer).select_related("stage", "change")
    }
    models = [
        model
        for model in LifecycleModel.objects.prefetch_related("stages").order_by("position", "pk")
        if model.is_active or model.pk in current
    ]
    changes: dict[int, list[StageChange]] = {}
    for change in (
        StageChange.objects.filter(customer=customer, model__in=models)
        .select_related("from_stage", "to_stage", "actor", "rule")
        .order_by("-at", "-pk")[: history * max(1, len(models))]
    ):
        bucket = changes.setdefault(change.model_id, [])
        if len(bucket) < history:
            bucket.append(change)
    return [
        ModelView(
            model,
            sorted(model.stages.all(), key=lambda s: (s.position, s.pk)),
            current.get(model.pk),
            changes.get(model.pk, []),
        )
        for model in models
    ]


def customer_flags(customer: Customer) -> tuple[list[Flag], set[int]]:
    """The flags one may set (the live ones) and those the customer has, retired or not;
    and the ids of those the customer has."""
    on = set(CustomerFlag.objects.filter(customer=customer).values_list("flag_id", flat=True))
    flags = list(
        Flag.objects.filter(Q(retired_at__isnull=True) | Q(pk__in=on)).order_by("name", "pk")
    )
    return flags, on
