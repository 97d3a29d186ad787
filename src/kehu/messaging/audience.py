"""Who a message reaches (发送范围): the sender's scope, and the audience split into the
customers who will receive it and those skipped, by reason.

One rule decides both the preview's counts and the send (``services._plan``):
``recipient_block`` — consent first (PIPL: marketing and care need a grant on the
channel; nobody who withdrew gets anything), then a reachable address on the channel
(an e-mail for e-mail, a phone for SMS).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Role, User
from kehu.core.sql import chunks, values_in
from kehu.customers.models import Customer, CustomerPhone
from kehu.messaging.models import Channel, Consent, ConsentStatus, Purpose, SkipReason

NEEDS_GRANT = frozenset({Purpose.MARKETING, Purpose.CARE})
REACH_CHUNK = 5000


class SendScope(TextChoices):
    """Whose customers a user's group send can reach (``access.sendable_q``)."""

    ALL = "all", _("所有客户（含公海客户）")
    TEAM = "team", _("本团队的客户")
    OWN = "own", _("你负责的客户")
    NONE = "none", _("无")


def send_scope(user: User) -> SendScope:
    """The scope ``access.sendable_q`` applies for marketing and care sends, named."""
    if not user.is_active or user.is_read_only:
        return SendScope.NONE
    if user.is_admin_role:
        return SendScope.ALL
    if user.role == Role.MANAGER and user.team_id:
        return SendScope.TEAM
    if user.role in (Role.MANAGER, Role.SALES):
        return SendScope.OWN
    return SendScope.NONE


def consent_blocks(purpose: str, status: str | None) -> SkipReason | None:
    """Why consent ``status`` (``None`` = never recorded) stops a ``purpose`` message."""
    if status == ConsentStatus.WITHDRAWN:
        return SkipReason.WITHDRAWN
    if purpose in NEEDS_GRANT and status != ConsentStatus.GRANTED:
        return SkipReason.NO_CONSENT
    return None


def recipient_block(purpose: str, consent: str | None, reachable: bool) -> SkipReason | None:
    """Why a customer will not get the message, or ``None``: they will."""
    blocked = consent_blocks(purpose, consent)
    if blocked is None and not reachable:
        return SkipReason.NO_ADDRESS
    return blocked


@dataclass
class Reach:
    """An audience split: how many will receive the message, the first of them (ids, in
    audience order), and the skipped by reason."""

    audience: int = 0
    receiving: int = 0
    first: list[int] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def skipped_reasons(self) -> list[tuple[str, str, int]]:
        """(reason, its label, count), most first."""
        labels = dict(SkipReason.choices)
        rows = [(key, str(labels.get(key, key)), n) for key, n in self.skipped.items()]
        return sorted(rows, key=lambda row: (-row[2], row[0]))


def audience_reach(
    ids: Sequence[int], *, channel: str, purpose: str, keep: int = 5, chunk: int = REACH_CHUNK
) -> Reach:
    """Split ``ids`` (customers the sender may message) by ``recipient_block``: two
    queries per ``chunk`` customers, whatever the audience's size."""
    reach = Reach(audience=len(ids))
    for run in chunks(ids, chunk):
        within = values_in(run, "int")
        consents = dict(
            Consent.objects.filter(customer_id__in=within, channel=channel).values_list(
                "customer_id", "status"
            )
        )
        if channel == Channel.EMAIL:
            reachable = set(
                Customer.objects.filter(pk__in=within)
                .exclude(email="")
                .values_list("pk", flat=True)
            )
        else:
            reachable = set(
                CustomerPhone.objects.filter(customer_id__in=within).values_list(
                    "customer_id", flat=True
                )
            )
        for customer_id in run:
            blocked = recipient_block(purpose, consents.get(customer_id), customer_id in reachable)
            if blocked is None:
                reach.receiving += 1
                if len(reach.first) < keep:
                    reach.first.append(customer_id)
            else:
                reach.skipped[blocked.value] = reach.skipped.get(blocked.value, 0) + 1
    return reach
