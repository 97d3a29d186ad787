"""The playbook report: save rate, money kept and cost, by playbook, owner, team,
stage or churn reason, and the uplift against the held-out customers.

One aggregate query per grouping over the runs (``playbookrun_playbook`` serves a
playbook's); the cost is a column of the run (its extra cost and its done steps).
Rates count ended runs only: saved ÷ (saved + lost); stopped and open runs are left
out of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from kehu.retention.models import STEP_COSTS, Outcome, Playbook, PlaybookRun
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


def playbook_report(*, by: str = "playbook", playbook: Playbook | None = None) -> Report:
    """The report over every run (of ``playbook``, when given), grouped ``by``: one
    ``GROUP BY`` (group, held out, outcome) — a few dozen rows, whatever the number of
    runs — folded here, and one query for the groups' names."""
    field_name = GROUPS.get(by, "playbook_id")
    runs = PlaybookRun.objects.all()
    if playbook is not None:
        runs = runs.filter(playbook=playbook)
    grouped = (
        runs.order_by()
        .values_list(field_name, "held_out", "outcome")
        .annotate(
            n=Count("pk"),
            before=Sum("value_before"),
            after=Sum("value_after"),
            spent=Sum("cost"),
        )
    )
    rows: dict[Any, Row] = {}
    total = Row(key=None, label=_("合计"))
    for key, held_out, outcome, n, before, after, spent in grouped:
        row = rows.setdefault(key, Row(key=key, label=""))
        for target in (row, total):
            _add(target, held_out, outcome, n, before, after, spent)
    labels = _labels(by, list(rows))
    for key, row in rows.items():
        row.label = labels.get(key) or (str(key) if key not in (None, "") else "—")
    ordered = sorted(rows.values(), key=lambda r: (-r.runs - r.held_out, str(r.label)))
    return Report(by=by, rows=ordered, total=total)


def _add(
    row: Row,
    held_out: bool,
    outcome: str,
    n: int,
    before: Decimal | None,
    after: Decimal | None,
    spent: Decimal | None,
) -> None:
    if held_out:
        row.held_out += n
        if outcome == Outcome.SAVED:
            row.held_out_saved += n
        elif outcome == Outcome.LOST:
            row.held_out_lost += n
        return
    row.runs += n
    row.cost += spent or Decimal("0")
    if outcome == Outcome.OPEN:
        row.open += n
    elif outcome == Outcome.SAVED:
        row.saved += n
        row.value_before += before or Decimal("0")
        row.value_after += after or Decimal("0")
    elif outcome == Outcome.LOST:
        row.lost += n
    elif outcome == Outcome.STOPPED:
        row.stopped += n
