"""Words of the tasks this app writes (a playbook's step in 我的工作), rendered in the
reader's language when shown (``kehu.core.texts``; registered in ``apps.py``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kehu.core.texts import Params

STEP_MESSAGE = "retention.step"


def step_title(params: Params) -> str:
    from kehu.retention.models import StepKind

    try:
        kind = str(StepKind(params["kind"]).label)
    except ValueError:
        kind = str(params.get("kind", ""))
    title = str(params.get("title") or "")
    text = _("挽留（%(playbook)s）：%(kind)s %(customer)s") % {
        "playbook": params.get("playbook", ""),
        "kind": kind,
        "customer": params.get("customer", ""),
    }
    return f"{text} · {title}"[:200] if title else text[:200]


def step_notes(params: Params) -> str:
    lines = []
    if params.get("template"):
        lines.append(_("消息模板：%(template)s") % {"template": params["template"]})
    if params.get("coupon"):
        lines.append(_("优惠券：%(coupon)s（已发放到客户名下，请告知客户）") % params)
    if params.get("title"):
        lines.append(str(params["title"]))
    lines.append(_("完成后请填写结果；挽留结果由订单和生命周期自动判定。"))
    return "\n".join(lines)[:5000]
