"""The words of the tasks this app writes (``kehu.core.texts``): registered in
``PipelineConfig.ready()``."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kehu.core.texts import Params, message_register

STALE = "pipeline.stale"


def _stale_title(params: Params) -> str:
    return _("商机停滞：%(name)s") % {"name": params["name"]}


def _stale_notes(params: Params) -> str:
    return _("该商机已 %(days)d 天没有进展（客户：%(customer)s）。请跟进或更新阶段。") % {
        "days": int(params["days"]),
        "customer": params["customer"],
    }


def register() -> None:
    message_register(STALE, title=_stale_title, notes=_stale_notes)
