"""The navigation bar: every entry, its group and who may open it, in one place.

An entry names its page and the predicate that page's view refuses by (the same
``can_*`` function its access helper raises on), so the bar offers a role exactly
the pages it may open: ``tests/shell/test_navigation.py`` opens every entry as every
role and fails when the two disagree. A new page is one line in ``ENTRIES``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.care.access import can_edit_rules
from kehu.channels.access import can_view_channels
from kehu.coupons.access import can_view_templates
from kehu.customers.access import can_reassign, can_view_pool_policy
from kehu.exits.access import can_edit_reasons, can_edit_settings
from kehu.exports.access import can_admin_exports, can_export
from kehu.imports.access import can_import
from kehu.leads.access import can_edit_lead_settings
from kehu.lifecycle.admin_selectors import can_edit_models
from kehu.lifecycle.flags import can_edit_flags
from kehu.loyalty.access import can_manage_programme, can_see_members
from kehu.messaging.access import can_send_any
from kehu.orders.access import can_manage_products, can_record_orders
from kehu.retention.access import can_view_playbooks
from kehu.value.access import can_admin_value, can_view_at_risk, can_view_dashboard


class Group(models.TextChoices):
    """The dropdowns of the bar, in this order."""

    CUSTOMERS = "customers", _("客户")
    SALES = "sales", _("销售")
    SERVICE = "service", _("服务")
    ANALYTICS = "analytics", _("分析")
    SETTINGS = "settings", _("设置")


def signed_in(user: User) -> bool:
    """Pages behind ``login_required`` alone (``request_actor`` refuses inactive users)."""
    return user.is_active


def can_open_django_admin(user: User) -> bool:
    """The Django admin's own rule (``AdminSite.has_permission``)."""
    return admin.site.has_permission(SimpleNamespace(user=user))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Entry:
    group: Group
    url_name: str
    label: str | Promise
    allowed: Callable[[User], bool] = signed_in


ENTRIES: tuple[Entry, ...] = (
    Entry(Group.CUSTOMERS, "followups:my_work", _("我的工作")),
    Entry(Group.CUSTOMERS, "customers:list", _("全部客户")),
    Entry(Group.CUSTOMERS, "customers:pool", _("公海")),
    Entry(Group.CUSTOMERS, "customers:duplicates", _("疑似重复")),
    Entry(Group.CUSTOMERS, "segments:list", _("客户分群")),
    Entry(Group.CUSTOMERS, "customers:transfer_all", _("批量转移客户"), can_reassign),
    Entry(Group.CUSTOMERS, "customers:pool_policy", _("公海规则"), can_view_pool_policy),
    Entry(Group.CUSTOMERS, "imports:list", _("导入"), can_import),
    Entry(Group.CUSTOMERS, "exports:records", _("导出记录"), can_export),
    Entry(Group.SALES, "leads:list", _("线索")),
    Entry(Group.SALES, "leads:pool", _("线索池")),
    Entry(Group.SALES, "pipeline:board", _("商机看板")),
    Entry(Group.SALES, "pipeline:list", _("商机列表")),
    Entry(Group.SALES, "orders:list", _("订单")),
    Entry(Group.SALES, "orders:quick_sale", _("快速收银"), can_record_orders),
    Entry(Group.SALES, "orders:products", _("商品"), can_manage_products),
    Entry(Group.SALES, "messaging:campaigns", _("群发")),
    Entry(Group.SALES, "messaging:templates", _("消息模板"), can_send_any),
    Entry(Group.SALES, "coupons:list", _("优惠券"), can_view_templates),
    Entry(Group.SERVICE, "complaints:queue", _("投诉")),
    Entry(Group.SERVICE, "complaints:incidents", _("危机事件")),
    Entry(Group.SERVICE, "care:agenda", _("今日关怀")),
    Entry(Group.SERVICE, "surveys:list", _("满意度调查")),
    Entry(Group.SERVICE, "loyalty:members", _("会员"), can_see_members),
    Entry(Group.ANALYTICS, "lifecycle:analytics", _("生命周期分析")),
    Entry(Group.ANALYTICS, "pipeline:forecast", _("销售预测")),
    Entry(Group.ANALYTICS, "channels:compare", _("渠道对比"), can_view_channels),
    Entry(Group.ANALYTICS, "value:dashboard", _("客户价值"), can_view_dashboard),
    Entry(Group.ANALYTICS, "value:at_risk", _("流失预警"), can_view_at_risk),
    Entry(Group.ANALYTICS, "exits:analysis", _("退出分析")),
    Entry(Group.ANALYTICS, "exits:winback", _("赢回名单")),
    Entry(Group.ANALYTICS, "retention:list", _("挽留方案"), can_view_playbooks),
    Entry(Group.SETTINGS, "lifecycle:models", _("生命周期模型"), can_edit_models),
    Entry(Group.SETTINGS, "lifecycle:flag_list", _("人工标记"), can_edit_flags),
    Entry(Group.SETTINGS, "value:model", _("客户价值模型"), can_admin_value),
    Entry(Group.SETTINGS, "value:settings", _("客户价值设置"), can_admin_value),
    Entry(Group.SETTINGS, "care:rules", _("关怀规则"), can_edit_rules),
    Entry(Group.SETTINGS, "care:festivals", _("节日"), can_edit_rules),
    Entry(Group.SETTINGS, "exports:settings", _("导出权限"), can_admin_exports),
    Entry(Group.SETTINGS, "leads:settings", _("线索设置"), can_edit_lead_settings),
    Entry(Group.SETTINGS, "loyalty:programme", _("会员与积分设置"), can_manage_programme),
    Entry(Group.SETTINGS, "exits:reasons", _("退出原因"), can_edit_reasons),
    Entry(Group.SETTINGS, "exits:settings", _("退出设置"), can_edit_settings),
    Entry(Group.SETTINGS, "admin:index", _("系统管理"), can_open_django_admin),
)


@dataclass(frozen=True)
class Link:
    label: str | Promise
    url: str
    active: bool


@dataclass(frozen=True)
class Menu:
    key: str
    label: str | Promise
    links: tuple[Link, ...]

    @property
    def active(self) -> bool:
        return any(link.active for link in self.links)


def entries_for(user: User) -> list[Entry]:
    """The entries ``user`` may open, in the bar's order."""
    return [entry for entry in ENTRIES if entry.allowed(user)]


def menus_for(user: User, current: str = "") -> list[Menu]:
    """The dropdowns ``user`` sees (a group with nothing to open is left out);
    ``current`` is the page's URL name, marked active."""
    allowed = entries_for(user)
    menus = []
    for group in Group:
        links = tuple(
            Link(entry.label, reverse(entry.url_name), entry.url_name == current)
            for entry in allowed
            if entry.group == group
        )
        if links:
            menus.append(Menu(group.value, group.label, links))
    return menus
