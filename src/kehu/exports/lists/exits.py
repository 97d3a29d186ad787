"""The win-back list (赢回名单) as an export, scoped and filtered as its page is."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.exits.forms import WinbackForm
from kehu.exits.winback import winback_exits
from kehu.exports.lists.activity import _recorded
from kehu.exports.registry import (
    ExportList,
    Source,
    local_time,
    plain,
    register,
    user_label,
)

WINBACK_KEYS = ("reason", "tier", "min_value", "since", "until")


def winback_source(user: User, params: Mapping[str, str]) -> Source:
    form = WinbackForm(params)
    return Source(winback_exits(user, form.filters()), filters=_recorded(params, WINBACK_KEYS))


register(
    ExportList(
        key="winback",
        label=_("赢回名单"),
        columns=lambda: [
            plain("customer_id", _("客户编号")),
            plain("customer", _("客户"), "customer__name"),
            local_time("at", _("退出时间")),
            plain("reason", _("退出原因"), "reason__name"),
            plain("competitor", _("竞争对手")),
            plain("value_before", _("离开前价值（元）")),
            plain("revenue_12m", _("近 12 个月消费（元）")),
            plain("tier", _("星级")),
            user_label("owner", _("负责人"), "customer__owner"),
        ],
        source=winback_source,
        pool_owner="customer__owner_id",
        sheet=_("赢回名单"),
        page_url="exits:winback",
        filter_keys=WINBACK_KEYS,
    )
)
