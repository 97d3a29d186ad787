"""Writes of channel costs (渠道成本): one transaction each, the actor passed in, a
change naming the version the user saw (a change made meanwhile is refused)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.channels.access import access_costs
from kehu.channels.models import ChannelCost
from kehu.core.errors import ConflictError
from kehu.messaging.models import Campaign

MONEY_LIMIT = Decimal("999999999999.99")


@transaction.atomic
def channel_cost_save(
    *,
    actor: User,
    channel: str,
    month: dt.date,
    amount: Decimal,
    campaign: Campaign | None = None,
    note: str = "",
    cost: ChannelCost | None = None,
    version: int | None = None,
) -> ChannelCost:
    """Record a month's spend on a channel (and campaign), or change ``cost``."""
    access_costs(actor)
    if cost is not None:
        cost = ChannelCost.objects.select_for_update().get(pk=cost.pk)
        if version is not None and cost.version != version:
            raise ConflictError(
                _("这条成本已被他人修改（当前为第 %(version)d 版），请刷新后重试。")
                % {"version": cost.version},
                details={"current_version": cost.version},
            )
        cost.version += 1
    else:
        cost = ChannelCost()
    if amount is not None and amount > MONEY_LIMIT:
        raise ValidationError({"amount": [_("金额太大。")]})
    cost.channel = channel
    cost.campaign = campaign
    cost.month = month.replace(day=1)
    cost.amount = amount
    cost.note = note.strip()
    cost.updated_by = actor
    cost.full_clean()
    cost.save()
    return cost


@transaction.atomic
def channel_cost_delete(*, actor: User, cost: ChannelCost) -> None:
    access_costs(actor)
    ChannelCost.objects.filter(pk=cost.pk).delete()
