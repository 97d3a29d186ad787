"""The playbook report: save rate, money kept and cost, by playbook, owner, team,
stage or churn reason, and the uplift against the held-out customers.

One aggregate query per grouping over the runs (``playbookrun_playbook`` serves a
playbook's), one over the done steps for the cost. Rates count ended runs only: saved
÷ (saved + lost); stopped and open runs are left out of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from kehu.retention.models import STEP_COSTS, Outcome, Playbook, PlaybookRun, RunStep
from kehu.retention.uplift import Uplift, uplift

GROUPS = {
    "playbook": "playbook_id",
    "owner": "owner_id",
    "team": "team_id",
    "stage": "stage_id",
    "reason": "churn_reason",
}


def group_labels() -> dict[str, str]:
    return {
        "playbook": _("方案"),
        "owner": _("负责人"),
        "team": _("团队"),
        "stage": _("开始时阶段"),
        "reason": _("流失原因"),
    }


def step_costs() -> dict[str, Decimal]:
    extra = getattr(settings, "KEHU_RETENTION_STEP_COSTS", None) or {}
    return {**STEP_COSTS, **{k: Decimal(str(v)) for k, v in extra.items()}}


@dataclass
class Row:
    key: Any
    label: str
    runs: int = 0
    open: int = 0
    saved: int = 0
    lost: int = 0
    stopped: int = 0
    held_out: int = 0
    held_out_saved: int = 0
    held_out_lost: int = 0
    value_before: Decimal = Decimal("0")  # of the treated runs that ended saved
    value_after: Decimal = Decimal("0")
    cost: Decimal = Decimal("0")

    @property
    def treated_ended(self) -> int:
        return self.saved + self.lost

    @property
    def save_rate(self) -> float | None:
        return self.saved / self.treated_ended if self.treated_ended else None

    @property
    def held_out_rate(self) -> float | None:
        ended = self.held_out_saved + self.held_out_lost
        return self.held_out_saved / ended if ended else None

    @property
    def money_kept(self) -> Decimal:
        """The value (CLV or a year's revenue) of the customers saved, as at their end."""
        return self.value_after

    @property
    def cost_per_saved(self) -> Decimal | None:
        return (self.cost / self.saved).quantize(Decimal("0.01")) if self.saved else None

    @property
    def uplift(self) -> Uplift:
        return uplift(
            self.treated_ended,
            self.saved,
            self.held_out_saved + self.held_out_lost,
            self.held_out_saved,
        )


@dataclass
class Report:
    by: str
    rows: list[Row]
    total: Row
    extra: dict[str, Any] = field(default_factory=dict)


def _counts() -> dict[str, Any]:
    treated, held = Q(held_out=False), Q(held_out=True)
    saved = Q(outcome=Outcome.SAVED)
    return {
        "c_runs": Count("pk", filter=treated),
        "c_open": Count("pk", filter=treated & Q(outcome=Outcome.OPEN)),
        "c_saved": Count("pk", filter=treated & saved),
        "c_lost": Count("pk", filter=treated & Q(outcome=Outcome.LOST)),
        "c_stopped": Count("pk", filter=treated & Q(outcome=Outcome.STOPPED)),
        "c_held_out": Count("pk", filter=held),
        "c_held_out_saved": Count("pk", filter=held & saved),
        "c_held_out_lost": Count("pk", filter=held & Q(outcome=Outcome.LOST)),
        "c_value_before": Sum("value_before", filter=treated & saved),
        "c_value_after": Sum("value_after", filter=treated & saved),
    }


def _labels(by: str, keys: Iterable[Any]) -> dict[Any, str]:
    keys = [k for k in keys if k not in (None, "")]
    if by == "playbook":
        return dict(Playbook.objects.filter(pk__in=keys).values_list("pk", "name"))
    if by == "owner":
        from kehu.accounts.models import User

        return {u.pk: u.label for u in User.objects.filter(pk__in=keys)}
    if by == "team":
        from kehu.accounts.models import Team

        return dict(Team.objects.filter(pk__in=keys).values_list("pk", "name"))
    if by == "stage":
        from kehu.lifecycle.models import Stage

        return {
            pk: f"{model} · {name}"
            for pk, model, name in Stage.objects.filter(pk__in=keys).values_list(
                "pk", "model__name", "name"
            )
        }
    if by == "reason":
        from kehu.value.texts import reason_text

        return {key: _reason_label(key, reason_text) for key in keys}
    return {}


def _reason_label(code: str, reason_text: Any) -> str:
    words = {
        "quiet_90d": _("未来 90 天可能不下单"),
        "p_alive_low": _("活跃概率低"),
        "rhythm_break": _("购买节奏中断"),
        "complaints": _("投诉"),
        "csat_low": _("满意度低"),
        "csat_falling": _("满意度下降"),
        "order_value_falling": _("订单金额下降"),
        "contact_lapsed": _("久未联系"),
    }
    return words.get(code) or reason_text(code, {})


def _costs(runs: QuerySet[PlaybookRun], field_name: str) -> dict[Any, Decimal]:
    """Per group: the done steps priced by kind, plus each treated run's extra cost."""
    prices = step_costs()
    costs: dict[Any, Decimal] = {}
    steps = (
        RunStep.objects.filter(run__in=runs.filter(held_out=False), done_at__isnull=False)
        .filter(skipped=False)
        .values(f"run__{field_name}", "kind")
        .annotate(n=Count("pk"))
    )
    for row in steps:
        key = row[f"run__{field_name}"]
        costs[key] = costs.get(key, Decimal("0")) + prices.get(row["kind"], Decimal("0")) * row["n"]
    extra = (
        runs.filter(held_out=False).values(field_name).annotate(total=Sum("playbook__cost_per_run"))
    )
    for row in extra:
        key = row[field_name]
        costs[key] = costs.get(key, Decimal("0")) + (row["total"] or Decimal("0"))
    return costs


def playbook_report(
    *, by: str = "playbook", playbook: Playbook | None = None, with_cost: bool = True
) -> Report:
    """The report over every run (of ``playbook``, when given), grouped ``by``."""
    field_name = GROUPS.get(by, "playbook_id")
    runs = PlaybookRun.objects.all()
    if playbook is not None:
        runs = runs.filter(playbook=playbook)
    grouped = list(runs.order_by().values(field_name).annotate(**_counts()))
    labels = _labels(by, [row[field_name] for row in grouped])
    costs = _costs(runs, field_name) if with_cost else {}
    rows = []
    total = Row(key=None, label=_("合计"))
    for data in grouped:
        key = data.pop(field_name)
        row = Row(key=key, label=labels.get(key) or (str(key) if key not in (None, "") else "—"))
        names = [name.removeprefix("c_") for name in data]
        for name, value in data.items():
            if value is not None:
                setattr(row, name.removeprefix("c_"), value)
        row.cost = costs.get(key, Decimal("0"))
        rows.append(row)
        for name in (*names, "cost"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    rows.sort(key=lambda r: (-r.runs - r.held_out, str(r.label)))
    return Report(by=by, rows=rows, total=total)
