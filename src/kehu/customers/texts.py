"""The words of the owner changes the system writes (a reclaim by the pool rules, a
merge), rendered in the reader's language when shown (``kehu.core.texts``; registered
in ``CustomersConfig.ready()``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kehu.core.texts import Params, message_register

RECLAIMED = "customers.reclaimed"  # params: rule ("followup", "deal"), days
MERGED = "customers.merged"  # params: id (the customer merged in)
UNMERGED = "customers.unmerged"  # params: id (the customer split off again)


def _reclaimed(params: Params) -> str:
    days = {"n": int(params["days"])}
    if params["rule"] == "deal":
        return _("领取后超过 %(n)d 天未成交，自动退回公海") % days
    return _("超过 %(n)d 天未跟进，自动退回公海") % days


def _merged(params: Params) -> str:
    return _("合并客户 #%(id)d") % {"id": int(params["id"])}


def _unmerged(params: Params) -> str:
    return _("撤销合并 #%(id)d") % {"id": int(params["id"])}


def register() -> None:
    message_register(RECLAIMED, reason=_reclaimed)
    message_register(MERGED, reason=_merged)
    message_register(UNMERGED, reason=_unmerged)
