"""The words of the complaint rows the system writes, rendered in the reader's language
when shown (``kehu.core.texts``; registered in ``ComplaintsConfig.ready()``): the steps
it words around what people typed, and the escalation notification.

==========================  =========================================================
code                        params
==========================  =========================================================
``complaints.changed``      ``fields``: the names of the fields changed
``complaints.moved``        ``note`` and one of ``feedback``, ``customer_response``,
                            ``close_reason``: what people typed, labelled when shown
``complaints.incident``     ``channel`` (an ``UpdateChannel``), ``body``
``complaints.escalated``    ``customer``, ``deadline``, ``id``, ``severity``,
                            ``handler``, ``hours``, ``minutes``
==========================  =========================================================
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from kehu.complaints.models import Complaint, DeadlineKind, Severity, UpdateChannel
from kehu.core.numbers import duration_text
from kehu.core.texts import Params, message_register

CHANGED = "complaints.changed"
MOVED = "complaints.moved"
INCIDENT = "complaints.incident"
ESCALATED = "complaints.escalated"


def _field_label(name: str) -> str:
    field = Complaint._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))


def _changed(params: Params) -> str:
    labels = ", ".join(_field_label(name) for name in params["fields"])
    return _("修改了：%(fields)s") % {"fields": labels}


def _moved(params: Params) -> str:
    lines = []
    if params.get("feedback"):
        lines.append(_("反馈：%(text)s") % {"text": params["feedback"]})
    if params.get("customer_response"):
        lines.append(_("客户回应：%(text)s") % {"text": params["customer_response"]})
    if params.get("close_reason"):
        lines.append(_("关闭原因：%(text)s") % {"text": params["close_reason"]})
    if params.get("note"):
        lines.append(str(params["note"]))
    return "\n".join(lines)


def _incident(params: Params) -> str:
    return _("危机通报（%(channel)s）：%(body)s") % {
        "channel": UpdateChannel(params["channel"]).label,
        "body": params["body"],
    }


def _escalated_title(params: Params) -> str:
    title = _("投诉超时升级：%(customer)s（%(deadline)s已超时）") % {
        "customer": params["customer"],
        "deadline": DeadlineKind(params["deadline"]).label,
    }
    return title[:200]


def _escalated_body(params: Params) -> str:
    handler = params.get("handler")
    overdue = dt.timedelta(hours=params["hours"], minutes=params["minutes"])
    return _("投诉 #%(id)d · %(severity)s · 处理人 %(handler)s · 已超时 %(span)s") % {
        "id": params["id"],
        "severity": Severity(params["severity"]).label,
        "handler": handler if handler else _("未指派"),
        "span": duration_text(overdue),
    }


def register() -> None:
    message_register(CHANGED, note=_changed)
    message_register(MOVED, note=_moved)
    message_register(INCIDENT, note=_incident)
    message_register(ESCALATED, title=_escalated_title, body=_escalated_body)
