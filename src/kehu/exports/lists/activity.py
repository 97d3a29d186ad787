"""Orders, interactions (跟进记录), follow-up tasks and complaints as exports: each
through its list page's filter parsing and visibility selector."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Role, User
from kehu.complaints.forms import QueueFilterForm
from kehu.complaints.models import Category, Severity
from kehu.complaints.models import Channel as ComplaintChannel
from kehu.complaints.models import Status as ComplaintStatus
from kehu.complaints.selectors import _filtered as complaints_filtered
from kehu.core.days import day_end, day_start
from kehu.customers.access import visibility_q
from kehu.customers.search import q_through
from kehu.exports.registry import ExportList, Source, choice, local_time, plain, register
from kehu.exports.registry import user_label as user_column
from kehu.followups.models import TaskKind, TaskStatus
from kehu.followups.selectors import tasks_visible_to
from kehu.interactions.models import Direction, Interaction, InteractionKind
from kehu.orders.forms import OrderFilterForm
from kehu.orders.models import Channel as OrderChannel
from kehu.orders.models import OrderStatus
from kehu.orders.selectors import orders_visible_to


def _recorded(params: Mapping[str, str], keys: tuple[str, ...]) -> dict[str, str]:
    return {k: params[k] for k in keys if params.get(k)}


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _customer_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


# --- orders ------------------------------------------------------------------------

ORDER_KEYS = ("channel", "status", "date_from", "date_to", "customer")


def order_source(user: User, params: Mapping[str, str]) -> Source:
    filters = OrderFilterForm(params).filters()
    return Source(
        orders_visible_to(user).filter(filters.as_q()), filters=_recorded(params, ORDER_KEYS)
    )


register(
    ExportList(
        key="orders",
        label=_("订单"),
        columns=lambda: [
            plain("id", _("编号"), "pk"),
            plain("source", _("外部系统")),
            plain("external_id", _("外部编号")),
            plain("customer_id", _("客户编号")),
            plain("customer", _("客户"), "customer__name"),
            local_time("ordered_at", _("下单时间")),
            choice("channel", _("渠道"), OrderChannel.choices),
            choice("status", _("状态"), OrderStatus.choices),
            plain("currency", _("币种"), default=False),
            plain("total", _("订单金额")),
            plain("cost", _("成本"), default=False),
            plain("refunded_total", _("已退款"), default=False),
        ],
        source=order_source,
        sheet=_("订单"),
        page_url="orders:list",
        filter_keys=ORDER_KEYS,
    )
)


# --- interactions -------------------------------------------------------------------

INTERACTION_KEYS = ("customer", "kind", "mine", "date_from", "date_to")


def interaction_source(user: User, params: Mapping[str, str]) -> Source:
    """Touches (跟进记录) of the live customers ``user`` may see — the timeline's rule —
    of one customer, one kind, the user's own, between two dates."""
    rows = Interaction.objects.filter(
        q_through(visibility_q(user), "customer__"), customer__deleted_at__isnull=True
    )
    if customer := _customer_id(params.get("customer")):
        rows = rows.filter(customer_id=customer)
    if params.get("kind") in InteractionKind.values:
        rows = rows.filter(kind=params["kind"])
    if params.get("mine") == "1":
        rows = rows.filter(user=user)
    if since := _date(params.get("date_from")):
        rows = rows.filter(occurred_at__gte=day_start(since))
    if until := _date(params.get("date_to")):
        rows = rows.filter(occurred_at__lt=day_end(until))
    return Source(rows, filters=_recorded(params, INTERACTION_KEYS))


register(
    ExportList(
        key="interactions",
        label=_("跟进记录"),
        columns=lambda: [
            plain("id", _("编号"), "pk"),
            plain("customer_id", _("客户编号")),
            plain("customer", _("客户"), "customer__name"),
            local_time("occurred_at", _("时间")),
            choice("kind", _("方式"), InteractionKind.choices),
            choice("direction", _("方向"), Direction.choices),
            plain("contact", _("联系人"), "contact__name", personal=True),
            user_column("user", _("跟进人"), "user"),
            plain("duration_minutes", _("时长（分钟）"), default=False),
            plain("outcome", _("结果")),
            plain("notes", _("内容"), personal=True),
            plain("next_step", _("下一步"), default=False),
        ],
        source=interaction_source,
        pool_owner="customer__owner_id",
        sheet=_("跟进记录"),
        filter_keys=INTERACTION_KEYS,
    )
)


# --- follow-up tasks ----------------------------------------------------------------

TASK_KEYS = ("team", "kind", "status")


def task_source(user: User, params: Mapping[str, str]) -> Source:
    """My work's tasks (待办): the user's, or with ``team=1`` a manager's team's (admins:
    everyone's); open by default, ``status=done`` or ``status=all``."""
    tasks = tasks_visible_to(user)
    as_team = params.get("team") == "1" and (user.role == Role.MANAGER or user.is_admin_role)
    if as_team and user.team_id and not user.is_admin_role:
        tasks = tasks.filter(assignee__team_id=user.team_id)
    elif not as_team:
        tasks = tasks.filter(assignee=user)
    if params.get("kind") in TaskKind.values:
        tasks = tasks.filter(kind=params["kind"])
    status = params.get("status", TaskStatus.OPEN)
    if status in TaskStatus.values:
        tasks = tasks.filter(status=status)
    return Source(tasks, filters=_recorded(params, TASK_KEYS))


register(
    ExportList(
        key="tasks",
        label=_("待办任务"),
        columns=lambda: [
            plain("id", _("编号"), "pk"),
            plain("customer_id", _("客户编号")),
            plain("customer", _("客户"), "customer__name"),
            choice("kind", _("类型"), TaskKind.choices),
            plain("title", _("标题")),
            local_time("due_at", _("截止时间")),
            choice("status", _("状态"), TaskStatus.choices),
            user_column("assignee", _("负责人"), "assignee"),
            local_time("done_at", _("完成时间"), default=False),
            plain("notes", _("备注"), default=False),
            plain("result", _("结果"), default=False),
        ],
        source=task_source,
        sheet=_("待办任务"),
        page_url="followups:my_work",
        filter_keys=TASK_KEYS,
    )
)


# --- complaints ---------------------------------------------------------------------

COMPLAINT_KEYS = ("status", "severity", "overdue", "mine")


def complaint_source(user: User, params: Mapping[str, str]) -> Source:
    """The complaint queue (投诉) as filtered on its page."""
    form = QueueFilterForm(params or None)
    rows = complaints_filtered(user, form.filters(), timezone.now())
    return Source(rows, filters=_recorded(params, COMPLAINT_KEYS))


register(
    ExportList(
        key="complaints",
        label=_("投诉"),
        columns=lambda: [
            plain("id", _("编号"), "pk"),
            plain("customer_id", _("客户编号")),
            plain("customer", _("客户"), "customer__name"),
            local_time("received_at", _("接收时间")),
            choice("channel", _("渠道"), ComplaintChannel.choices),
            choice("category", _("类别"), Category.choices),
            choice("severity", _("严重程度"), Severity.choices),
            choice("status", _("状态"), ComplaintStatus.choices),
            user_column("handler", _("处理人"), "handler"),
            plain("description", _("投诉内容"), personal=True),
            local_time("resolution_due_at", _("解决截止"), default=False),
            local_time("resolved_at", _("反馈时间"), default=False),
            local_time("closed_at", _("关闭时间"), default=False),
            plain("close_reason", _("关闭原因"), default=False),
        ],
        source=complaint_source,
        sheet=_("投诉"),
        page_url="complaints:queue",
        filter_keys=COMPLAINT_KEYS,
    )
)
