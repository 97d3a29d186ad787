"""The sending job: drains queued recipients, throttled, safe to kill at any moment.

Safe to run twice, concurrently, or after a worker died half-way:

1. A worker claims a small batch with a conditional update (a fresh ``claim`` token
   and ``claimed_at``): only queued recipients whose claim is missing or older than
   ``LEASE`` (their worker died) can be taken, so two workers never hold the same one.
2. Through a *transactional* gateway (the logging SMS backend) the messages, their
   ``Delivery`` rows and the ``sent`` marks commit together, and only while the claim
   is still ours; a worker killed before the commit leaves the batch queued (retaken
   after the lease), and ``Delivery`` is unique per recipient. Exactly once.
3. Through an outside gateway (e-mail, HTTP SMS) each recipient is marked ``sending``
   before it goes out and ``sent`` right after. A recipient found ``sending`` after the
   lease was in flight when its worker died: it may or may not have gone out, so it
   is marked failed ("interrupted") and *not* sent again — nobody gets a second copy.
4. A transient failure (timeout, 5xx, mail server down) is retried after
   ``RETRY_AFTER``, up to ``MAX_ATTEMPTS`` tries in all; a permanent one (4xx) fails at
   once. The reason is kept on the recipient.
5. Consent is checked again just before sending: a customer who unsubscribed after
   the campaign was queued is skipped.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from kehu.messaging.gateways import Gateway, Outgoing, Result, gateway_for
from kehu.messaging.links import unsubscribe_url
from kehu.messaging.models import (
    Campaign,
    CampaignStatus,
    Channel,
    Consent,
    ConsentStatus,
    Delivery,
    Recipient,
    RecipientStatus,
    SkipReason,
)

logger = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=5)
RETRY_AFTER = dt.timedelta(minutes=1)
MAX_ATTEMPTS = 3
sleep = time.sleep  # replaced in tests


class LostClaim(Exception):
    """Another worker took our batch (we outlived the lease): roll back, send nothing."""


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    skipped: int = 0
    interrupted: int = 0
    batches: int = 0


def _takeable(at: dt.datetime) -> Q:
    return Q(claimed_at__isnull=True) | Q(claimed_at__lt=at - LEASE)


def recipients_send(
    *,
    campaign_id: int | None = None,
    batch: int = 100,
    time_limit: float | None = None,
    gateway: Callable[[str], Gateway] = gateway_for,
) -> SendReport:
    """Send queued messages (of one campaign, or all) until none is left or
    ``time_limit`` seconds have passed; ``KEHU_MESSAGES_PER_SECOND`` caps the pace."""
    rate = settings.KEHU_MESSAGES_PER_SECOND
    if rate > 0:
        batch = max(1, min(batch, rate))
    report = SendReport()
    started = time.monotonic()
    report.interrupted = _expire_in_flight(campaign_id)
    while time_limit is None or time.monotonic() - started < time_limit:
        rows, token = _claim(campaign_id, batch)
        if not rows:
            break
        report.batches += 1
        rows = _drop_withdrawn(rows, token, report)
        by_channel: dict[str, list[Recipient]] = {}
        for row in rows:
            by_channel.setdefault(row.campaign.channel, []).append(row)
        for channel, group in by_channel.items():
            with gateway(channel) as gw:
                if gw.transactional:
                    _send_transactional(gw, group, token, report)
                else:
                    _send_each(gw, group, token, report)
        _campaigns_finish({r.campaign_id for r in rows})
        if rate > 0:
            ahead = (report.sent + report.failed) / rate - (time.monotonic() - started)
            if ahead > 0:
                sleep(ahead)
    if campaign_id is not None:
        _campaigns_finish({campaign_id})
    return report


def _claim(campaign_id: int | None, batch: int) -> tuple[list[Recipient], str]:
    now = timezone.now()
    pending = Recipient.objects.filter(status=RecipientStatus.QUEUED).filter(_takeable(now))
    if campaign_id is not None:
        pending = pending.filter(campaign_id=campaign_id)
    ids = list(pending.order_by("id").values_list("pk", flat=True)[:batch])
    if not ids:
        return [], ""
    token = uuid.uuid4().hex
    Recipient.objects.filter(pk__in=ids, status=RecipientStatus.QUEUED).filter(
        _takeable(now)
    ).update(claim=token, claimed_at=now)
    rows = list(
        Recipient.objects.filter(claim=token, status=RecipientStatus.QUEUED)
        .select_related("campaign")
        .order_by("id")
    )
    return rows, token


def _expire_in_flight(campaign_id: int | None) -> int:
    stale = Recipient.objects.filter(
        status=RecipientStatus.SENDING, claimed_at__lt=timezone.now() - LEASE
    )
    if campaign_id is not None:
        stale = stale.filter(campaign_id=campaign_id)
    return stale.update(
        status=RecipientStatus.FAILED,
        reason=SkipReason.INTERRUPTED,
        updated_at=timezone.now(),
    )


def _drop_withdrawn(rows: list[Recipient], token: str, report: SendReport) -> list[Recipient]:
    """Customers who withdrew consent since the campaign was queued: skipped."""
    withdrawn = set(
        Consent.objects.filter(
            customer_id__in=[r.customer_id for r in rows], status=ConsentStatus.WITHDRAWN
        ).values_list("customer_id", "channel")
    )
    if not withdrawn:
        return rows
    out = [r for r in rows if (r.customer_id, r.campaign.channel) in withdrawn]
    report.skipped += Recipient.objects.filter(
        pk__in=[r.pk for r in out], claim=token, status=RecipientStatus.QUEUED
    ).update(status=RecipientStatus.SKIPPED, reason=SkipReason.WITHDRAWN, updated_at=timezone.now())
    return [r for r in rows if (r.customer_id, r.campaign.channel) not in withdrawn]


def _outgoing(row: Recipient) -> Outgoing:
    headers = None
    if row.campaign.channel == Channel.EMAIL:
        url = unsubscribe_url(row.customer_id, Channel.EMAIL)
        headers = {
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    return Outgoing(
        key=f"kehu-{row.pk}", to=row.address, subject=row.subject, body=row.body, headers=headers
    )


def _send_transactional(gw: Gateway, rows: list[Recipient], token: str, report: SendReport) -> None:
    try:
        with transaction.atomic():
            results = gw.send_many([_outgoing(r) for r in rows])
            now = timezone.now()
            sent = [r for r, res in zip(rows, results, strict=True) if res.ok]
            Delivery.objects.bulk_create(
                [
                    Delivery(recipient_id=r.pk, backend=gw.name, reference=res.reference, at=now)
                    for r, res in zip(rows, results, strict=True)
                    if res.ok
                ]
            )
            marked = Recipient.objects.filter(
                pk__in=[r.pk for r in sent], claim=token, status=RecipientStatus.QUEUED
            ).update(
                status=RecipientStatus.SENT,
                sent_at=now,
                updated_at=now,
                attempts=F("attempts") + 1,
            )
            if marked != len(sent):
                raise LostClaim
            report.sent += marked
            for r, res in zip(rows, results, strict=True):
                if not res.ok:
                    _failed(r, res, token, report)
    except LostClaim:
        logger.warning("message batch %s was taken by another worker; rolled back", token)


def _send_each(gw: Gateway, rows: list[Recipient], token: str, report: SendReport) -> None:
    for row in rows:
        now = timezone.now()
        took = Recipient.objects.filter(
            pk=row.pk, claim=token, status=RecipientStatus.QUEUED
        ).update(status=RecipientStatus.SENDING, claimed_at=now, updated_at=now)
        if not took:
            continue  # cancelled, or taken by a worker after our lease ran out
        result = gw.send(_outgoing(row))
        with transaction.atomic():
            if result.ok:
                Delivery.objects.create(
                    recipient_id=row.pk, backend=gw.name, reference=result.reference, at=now
                )
                Recipient.objects.filter(pk=row.pk).update(
                    status=RecipientStatus.SENT,
                    sent_at=timezone.now(),
                    updated_at=timezone.now(),
                    attempts=F("attempts") + 1,
                )
                report.sent += 1
            else:
                _failed(row, result, token, report, status=RecipientStatus.SENDING)


def _failed(
    row: Recipient,
    result: Result,
    token: str,
    report: SendReport,
    *,
    status: str = RecipientStatus.QUEUED,
) -> None:
    now = timezone.now()
    mine = Recipient.objects.filter(pk=row.pk, claim=token, status=status)
    if result.transient and row.attempts + 1 < MAX_ATTEMPTS:
        # Back in the queue, takeable again after RETRY_AFTER.
        mine.update(
            status=RecipientStatus.QUEUED,
            claimed_at=now - LEASE + RETRY_AFTER,
            attempts=F("attempts") + 1,
            detail=result.error[:500],
            updated_at=now,
        )
        report.retried += 1
        return
    mine.update(
        status=RecipientStatus.FAILED,
        reason=SkipReason.GATEWAY,
        detail=result.error[:500],
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    report.failed += 1


def _campaigns_finish(campaign_ids: set[int]) -> None:
    for campaign_id in campaign_ids:
        busy = Recipient.objects.filter(
            campaign_id=campaign_id,
            status__in=[RecipientStatus.QUEUED, RecipientStatus.SENDING],
        ).exists()
        if not busy:
            Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.SENDING).update(
                status=CampaignStatus.DONE, finished_at=timezone.now()
            )
