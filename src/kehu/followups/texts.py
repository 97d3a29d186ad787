"""The words of the tasks and notifications this app writes, rendered when shown
(``kehu.core.texts``): registered in ``FollowupsConfig.ready()``."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from kehu.core.texts import Params, message_register, message_render
from kehu.followups.models import Task, TaskKind

KIND = "followups.kind"
TASK_DUE = "followups.task_due"
POOL_NOTICE = "followups.pool_notice"


def task_snapshot(task: Task) -> dict[str, Any]:
    """What a notification keeps of its task's title: the words or the message."""
    return {"title": task.title, "message": task.message, "params": task.params}


def _kind_title(params: Params) -> str:
    return str(TaskKind(params["kind"]).label)


def _task_due_title(params: Params) -> str:
    task = params["task"]
    title = message_render(task.get("message", ""), task.get("params"), "title", task["title"])
    return _("回访到期：%(title)s") % {"title": title}


def _task_due_body(params: Params) -> str:
    return _("客户：%(customer)s，截止 %(due)s") % {
        "customer": params["customer"],
        "due": params["due"],
    }


def _pool_title(params: Params) -> str:
    return _("客户即将退回公海：%(name)s") % {"name": params["customer"]}


def _pool_body(params: Params) -> str:
    return _("%(due)s 前未跟进或成交，将自动退回公海。") % {"due": params["due"]}


def register() -> None:
    message_register(KIND, title=_kind_title)
    message_register(TASK_DUE, title=_task_due_title, body=_task_due_body)
    message_register(POOL_NOTICE, title=_pool_title, body=_pool_body)
