"""Messages to one or many customers (节假日群发): templates, consent, campaigns.

``message_to_customers`` is the entry point other apps call (crisis updates from
complaints, survey invitations, care greetings); its signature is fixed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kehu.accounts.models import User


def message_to_customers(
    *,
    actor: User | None,
    customer_ids: Sequence[int],
    channel: str,
    body: str,
    subject: str = "",
    name: str,
    purpose: str = "",
    extra: Mapping[int, Mapping[str, str]] | None = None,
) -> Any:
    """Queue one message per customer on the job queue and return the campaign.

    ``channel`` is ``"email"`` or ``"sms"``. ``body`` and ``subject`` are templates:
    placeholders such as ``{称呼}``, ``{姓名}``, ``{公司}``, ``{生日}``, ``{负责人}`` are
    filled per customer, and ``extra[customer_id]`` adds per-customer keys (a survey's
    ``{链接}``). Customers without consent for the channel, or without an address on
    it, are skipped and counted with the reason. ``actor`` is ``None`` for system jobs.
    ``purpose`` says why (``"incident"``, ``"survey"``, ``"care"``...) for reports.
    Raises ``ValidationError`` for an unknown placeholder or channel.
    """
    raise NotImplementedError
