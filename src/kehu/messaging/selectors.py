"""Reads of campaigns, recipients and consent, scoped to what the actor may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.customers.timeline import Cursor, TimelineEvent
from kehu.messaging.access import campaigns_q
from kehu.messaging.models import (
    Campaign,
    Channel,
    Consent,
    ConsentEvent,
    MessageTemplate,
    Recipient,
    RecipientStatus,
    SkipReason,
)


@dataclass
class Progress:
    total: int
    queued: int
    sending: int
    sent: int
    failed: int
    skipped: int
    skipped_by_reason: dict[str, int]

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.skipped

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(self.done * 100 / self.total)

    @property
    def finished(self) -> bool:
        return self.queued == 0 and self.sending == 0

    def skipped_reasons(self) -> list[tuple[str, str, int]]:
        labels = dict(SkipReason.choices)
        return [(k, str(labels.get(k, k)), n) for k, n in self.skipped_by_reason.items()]


def campaign_progress(campaign: Campaign) -> Progress:
    """Counts per status and per skip/failure reason: two grouped queries."""
    by_status = dict(
        Recipient.objects.filter(campaign=campaign)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    reasons = dict(
        Recipient.objects.filter(campaign=campaign, status=RecipientStatus.SKIPPED)
        .order_by()
        .values_list("reason")
        .annotate(n=Count("pk"))
    )
    return Progress(
        total=sum(by_status.values()),
        queued=by_status.get(RecipientStatus.QUEUED, 0),
        sending=by_status.get(RecipientStatus.SENDING, 0),
        sent=by_status.get(RecipientStatus.SENT, 0),
        failed=by_status.get(RecipientStatus.FAILED, 0),
        skipped=by_status.get(RecipientStatus.SKIPPED, 0),
        skipped_by_reason=reasons,
    )


def campaigns_visible_to(user: User) -> QuerySet[Campaign]:
    return Campaign.objects.filter(campaigns_q(user)).select_related("created_by")


def campaign_recipients(
    campaign: Campaign, *, status: str = "", page: int = 1, page_size: int = 50
) -> Page[Recipient]:
    rows = Recipient.objects.filter(campaign=campaign).select_related("customer")
    if status in RecipientStatus.values:
        rows = rows.filter(status=status)
    return Paginator(rows.order_by("id"), page_size).get_page(page)


def templates_for(user: User) -> QuerySet[MessageTemplate]:
    """Every live template (shared: whoever may send uses any), with its author."""
    return (
        MessageTemplate.objects.filter(deleted_at__isnull=True)
        .select_related("created_by")
        .order_by("name", "id")
    )


@dataclass
class ChannelConsent:
    channel: str
    label: str
    consent: Consent | None


def customer_consents(customer: Customer) -> list[ChannelConsent]:
    current = {
        c.channel: c for c in Consent.objects.filter(customer=customer).select_related("actor")
    }
    return [
        ChannelConsent(value, str(label), current.get(value)) for value, label in Channel.choices
    ]


def consent_history(customer: Customer, *, limit: int = 20) -> list[ConsentEvent]:
    return list(
        ConsentEvent.objects.filter(customer=customer)
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )


def customer_messages(customer: Customer, *, limit: int = 5) -> list[Recipient]:
    """The last messages sent to the customer."""
    return list(
        Recipient.objects.filter(customer=customer, status=RecipientStatus.SENT)
        .select_related("campaign")
        .order_by("-sent_at", "-id")[:limit]
    )


def message_events(customer: Customer, cursor: Cursor | None, limit: int) -> list[TimelineEvent]:
    rows = Recipient.objects.filter(customer=customer, status=RecipientStatus.SENT)
    if cursor:
        rows = rows.filter(cursor.q("message", "sent_at"))
    rows = rows.select_related("campaign", "campaign__created_by").order_by("-sent_at", "-pk")[
        :limit
    ]
    events = []
    for r in rows:
        if r.sent_at is None:
            continue
        campaign = r.campaign
        events.append(
            TimelineEvent(
                at=r.sent_at,
                kind="message",
                pk=r.pk,
                title=_("%(channel)s：%(name)s")
                % {"channel": campaign.get_channel_display(), "name": campaign.name},
                detail=(r.subject + " " if r.subject else "") + r.body[:140],
                actor=campaign.created_by.label if campaign.created_by else str(_("系统")),
                url=reverse("messaging:detail", args=[campaign.pk]),
            )
        )
    return events
