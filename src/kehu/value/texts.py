"""Words for the stable codes of the value module (risk reasons, run messages, the
worth-saving verdict, the retention task), rendered in the reader's language at display
time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.core.money import money_display

# The at-risk list's one-click task (``services.retention_task_create``), registered
# with ``kehu.core.texts``: params ``customer`` (the name) and ``reasons`` (as scored).
RETENTION_MESSAGE = "value.retention"
RETENTION_PREFIX = gettext_noop("挽留：")


def _fmt(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if isinstance(v, int | float | str)}


def reason_text(code: str, params: Mapping[str, Any]) -> str:
    p = _fmt(params)
    try:
        if code == "quiet_90d":
            return _("未来 %(days)s 天不下单的概率约 %(percent)s%%") % p
        if code == "p_alive_low":
            return _("P(活跃)=%(p_alive).2f") % p
        if code == "rhythm_break":
            return (
                _("已 %(cycles)s 个购买周期未下单（%(days)s 天未购买，平时约 %(gap)s 天一次）") % p
            )
        if code == "complaints":
            return _("近 %(days)s 天 %(count)s 次投诉") % p
        if code == "csat_low":
            return _("最近满意度 %(csat)s 分，偏低") % p
        if code == "csat_falling":
            return _("满意度从 %(previous)s 分降到 %(csat)s 分") % p
        if code == "order_value_falling":
            return _("近 %(days)s 天平均订单 %(recent)s，低于此前的 %(earlier)s") % {
                **p,
                "recent": money_display(p["recent"]),
                "earlier": money_display(p["earlier"]),
            }
        if code == "recency_days":
            return _("已 %(days)s 天未购买") % p
        if code == "few_purchases":
            return _("只在 %(count)s 天购买过") % p
        if code == "contact_lapsed":
            return _("已 %(days)s 天未联系（平时约 %(usual)s 天一次）") % p
    except (KeyError, TypeError, ValueError):
        pass
    return code


def reasons_texts(reasons: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``[{"code", "params"}]`` as stored → ``[{"code", "text", "params"}]``."""
    out = []
    for reason in reasons or []:
        if not isinstance(reason, Mapping):
            continue
        code = str(reason.get("code", ""))
        params = reason.get("params") or {}
        out.append({"code": code, "text": reason_text(code, params), "params": dict(params)})
    return out


def saving_text(stake: Decimal | float, cost: Decimal | float, worth: bool) -> str:
    p = {"stake": money_display(stake), "cost": money_display(cost)}
    if worth:
        return _("挽回价值约 %(stake)s，高于一次挽留的成本 %(cost)s") % p
    return _("不值得挽留：挽回价值约 %(stake)s，低于一次挽留的成本 %(cost)s") % p


def run_message(code: str, detail: Mapping[str, Any] | None = None) -> str:
    """What a run's ``message_code`` means, with its numbers."""
    d = dict(detail or {})
    messages = {
        "": "",
        "ok": _("模型拟合成功。"),
        "no_data": _("截至该日期还没有任何已支付的订单，无法评分。"),
        "insufficient_data": _(
            "复购客户太少（%(repeat)s 位，至少需要 %(needed)s 位），无法拟合概率模型；"
            "已按 RFM 评分，终身价值和活跃概率暂缺。"
        ),
        "no_convergence": _("概率模型拟合未收敛；已按 RFM 评分，终身价值和活跃概率暂缺。"),
        "invalid_input": _("订单数据异常，无法拟合概率模型；已按 RFM 评分。"),
        "non_finite": _("模型给出了无效的数值；已按 RFM 评分，终身价值和活跃概率暂缺。"),
        "interrupted": _("评分中断（进程退出），未保存结果。"),
        "error": _("评分出错：%(error)s"),
    }
    text = messages.get(code)
    if text is None:
        return code
    d.setdefault("repeat", d.get("repeat_customers", "?"))
    d.setdefault("needed", d.get("min_repeat", 200))
    d.setdefault("error", "")
    try:
        return text % d if "%(" in text else text
    except (KeyError, TypeError, ValueError):
        return text.split("%(")[0]


def retention_title(params: Mapping[str, Any]) -> str:
    return f"{_(RETENTION_PREFIX)}{params['customer']}"[:200]


def retention_notes(params: Mapping[str, Any]) -> str:
    reasons = reasons_texts(params.get("reasons") or [])
    if not reasons:
        return ""
    lines = "\n".join(f"· {reason['text']}" for reason in reasons)
    return (_("流失预警：") + "\n" + lines)[:5000]
