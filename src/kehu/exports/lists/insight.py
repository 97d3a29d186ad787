"""Survey answers, the care agenda (关怀日程), the at-risk list (流失预警) and the
lifecycle stage history as exports, each scoped as its page is."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.care.access import can_see_agenda
from kehu.care.forms import AgendaFilterForm
from kehu.care.models import Reason
from kehu.care.selectors import care_items_visible_to
from kehu.care.texts import care_note
from kehu.core.days import day_end, day_start
from kehu.customers.access import visibility_q
from kehu.customers.search import q_through
from kehu.exports.lists.activity import _customer_id, _date, _recorded
from kehu.exports.registry import (
    Column,
    ExportList,
    Source,
    choice,
    computed,
    local_time,
    plain,
    register,
    user_label,
    yes_no,
)
from kehu.lifecycle.models import StageChange, StageChangeKind
from kehu.surveys.access import can_read_reports
from kehu.surveys.models import Answer
from kehu.value.access import can_view_at_risk
from kehu.value.models import CustomerValue
from kehu.value.selectors import _warnings as at_risk_warnings
from kehu.value.selectors import run_latest_good
from kehu.value.texts import reasons_texts


def _visible_through(user: User, prefix: str) -> Q:
    return q_through(visibility_q(user), prefix) & Q(**{f"{prefix}deleted_at__isnull": True})


# --- survey answers -----------------------------------------------------------------

ANSWER_KEYS = ("survey", "date_from", "date_to")


def answer_source(user: User, params: Mapping[str, str]) -> Source:
    """Answers of customers ``user`` may see (the report's rule), of one survey,
    answered between two dates."""
    rows = Answer.objects.filter(_visible_through(user, "response__customer__"))
    if survey := _customer_id(params.get("survey")):
        rows = rows.filter(response__survey_id=survey)
    if since := _date(params.get("date_from")):
        rows = rows.filter(response__answered_at__gte=day_start(since))
    if until := _date(params.get("date_to")):
        rows = rows.filter(response__answered_at__lt=day_end(until))
    return Source(rows, filters=_recorded(params, ANSWER_KEYS))


def _answer_choices(row: dict[str, Any]) -> str:
    return "、".join(str(c) for c in row["choices"] or [])


register(
    ExportList(
        key="survey-answers",
        label=_("问卷答案"),
        columns=lambda: [
            plain("response_id", _("答卷编号"), "response_id"),
            plain("survey", _("问卷"), "response__survey__name"),
            plain("customer_id", _("客户编号"), "response__customer_id"),
            plain("customer", _("客户"), "response__customer__name"),
            local_time("answered_at", _("作答时间"), "response__answered_at"),
            plain("question", _("题目"), "question__text"),
            plain("score", _("分数")),
            plain("text", _("文字回答"), personal=True),
            computed("choices", _("选项"), ("choices",), _answer_choices),
        ],
        source=answer_source,
        may_see=can_read_reports,
        sheet=_("问卷答案"),
        filter_keys=ANSWER_KEYS,
    )
)


# --- the care agenda ------------------------------------------------------------------

CARE_KEYS = ("date", "reason")


def care_source(user: User, params: Mapping[str, str]) -> Source:
    """The lines of the day's agenda the job built (a day not built yet has none)."""
    form = AgendaFilterForm(params)
    day = form.cleaned_data["date"] if form.is_valid() else timezone.localdate()
    rows = care_items_visible_to(user).filter(agenda_date=day)
    reason = form.cleaned_data.get("reason") if form.is_valid() else ""
    if reason:
        rows = rows.filter(reason=reason)
    recorded = {"date": day.isoformat(), **({"reason": reason} if reason else {})}
    return Source(rows, filters=recorded)


def _care_note(row: dict[str, Any]) -> str:
    return care_note(row["reason"], row["params"], row["note"])


register(
    ExportList(
        key="care",
        label=_("关怀日程"),
        columns=lambda: [
            plain("customer_id", _("客户编号")),
            plain("customer", _("客户"), "customer__name"),
            choice("reason", _("原因"), Reason.choices),
            computed("note", _("说明"), ("reason", "params", "note"), _care_note),
            plain("occurs_on", _("日期")),
            plain("agenda_date", _("日程日期")),
            user_label("owner", _("负责人"), "customer__owner"),
        ],
        source=care_source,
        may_see=can_see_agenda,
        sheet=_("关怀日程"),
        page_url="care:agenda",
        filter_keys=CARE_KEYS,
    )
)


# --- the at-risk list -------------------------------------------------------------------


AT_RISK_KEYS = ("segment",)


def at_risk_source(user: User, params: Mapping[str, str]) -> Source:
    """The latest good scoring run's warnings about customers ``user`` may see (of a
    segment's members, with ``segment``)."""
    run = run_latest_good()
    if run is None:
        return Source(CustomerValue.objects.none())
    raw = str(params.get("segment") or "")
    segment = int(raw) if raw.isdigit() and len(raw) < 18 else None
    filters: dict[str, Any] = {"run": run.pk}
    if segment:
        filters["segment"] = segment
    return Source(at_risk_warnings(user, run, segment), filters=filters)


def _reasons(row: dict[str, Any]) -> str:
    return "；".join(reason["text"] for reason in reasons_texts(row["reasons"]))


def _risk(row: dict[str, Any]) -> Decimal:
    return Decimal(f"{row['risk']:.2f}")


def at_risk_columns() -> list[Column]:
    return [
        plain("customer_id", _("客户编号")),
        plain("customer", _("客户"), "customer__name"),
        user_label("owner", _("负责人"), "customer__owner"),
        plain("tier", _("星级")),
        computed("risk", _("流失风险"), ("risk",), _risk),
        computed("reasons", _("原因"), ("reasons",), _reasons),
        plain("money_at_stake", _("挽回价值（元）")),
        yes_no("worth_saving", _("值得挽留")),
    ]


register(
    ExportList(
        key="at-risk",
        label=_("流失预警"),
        columns=at_risk_columns,
        source=at_risk_source,
        may_see=can_view_at_risk,
        filter_keys=AT_RISK_KEYS,
        sheet=_("流失预警"),
        page_url="value:at_risk",
    )
)


# --- lifecycle stage history --------------------------------------------------------------

STAGE_KEYS = ("model", "stage", "customer", "date_from", "date_to")


def stage_source(user: User, params: Mapping[str, str]) -> Source:
    """Stage changes of customers ``user`` may see: of one lifecycle model (its key),
    into one stage (its key), of one customer, between two dates."""
    rows = StageChange.objects.filter(_visible_through(user, "customer__"))
    if params.get("model"):
        rows = rows.filter(model__key=params["model"])
    if params.get("stage"):
        rows = rows.filter(to_stage__key=params["stage"])
    if customer := _customer_id(params.get("customer")):
        rows = rows.filter(customer_id=customer)
    if since := _date(params.get("date_from")):
        rows = rows.filter(at__gte=day_start(since))
    if until := _date(params.get("date_to")):
        rows = rows.filter(at__lt=day_end(until))
    return Source(rows, filters=_recorded(params, STAGE_KEYS))


register(
    ExportList(
        key="stage-history",
        label=_("阶段变更记录"),
        columns=lambda: [
            plain("customer_id", _("客户编号")),
            plain("customer", _("客户"), "customer__name"),
            plain("model", _("生命周期模型"), "model__name"),
            plain("from_stage", _("原阶段"), "from_stage__name"),
            plain("to_stage", _("新阶段"), "to_stage__name"),
            local_time("at", _("时间")),
            choice("kind", _("方式"), StageChangeKind.choices),
            plain("rule", _("规则"), "rule__name"),
            user_label("actor", _("操作人"), "actor"),
            plain("reason", _("原因"), default=False),
        ],
        source=stage_source,
        sheet=_("阶段变更记录"),
        filter_keys=STAGE_KEYS,
    )
)
