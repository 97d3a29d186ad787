"""The public lead form (no login): a page and an embeddable version for an iframe.

Against bots, without a CAPTCHA service from another host:

* a honeypot field people do not see: filled in, the submission is answered like any
  other and dropped;
* a rate limit per client address (``accounts.client_ip``, the proxies taken into
  account) and minute, ``KEHU_LEAD_FORM_RATE``, counted in the database (``FormHit``)
  so every web process shares the counts and nothing lives in one process's memory;
* a client token, made when the form is rendered and sent with it: a double submit
  (a double click, a retry after a timeout) creates one lead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from kehu.leads.models import FormHit, Lead
from kehu.leads.services import lead_create

PUBLIC_FIELDS = ("name", "phone", "company", "province", "city", "notes")
KEEP_WINDOWS = dt.timedelta(hours=1)


def form_rate_allow(
    client: str, *, now: dt.datetime | None = None, limit: int | None = None
) -> bool:
    """Count one submission of ``client`` in the current minute; False once the minute
    already had ``limit``. Two processes counting at once both count (one UPDATE or an
    INSERT that loses to the other's and then UPDATEs)."""
    limit = settings.KEHU_LEAD_FORM_RATE if limit is None else limit
    moment = now or timezone.now()
    window = moment.replace(second=0, microsecond=0)
    key = (client or "unknown")[:64]
    with transaction.atomic():
        counted = FormHit.objects.filter(client=key, window=window, count__lt=limit).update(
            count=F("count") + 1
        )
        if counted:
            return True
        if FormHit.objects.filter(client=key, window=window).exists():
            return False
        if limit <= 0:
            return False
        try:
            with transaction.atomic():
                FormHit.objects.create(client=key, window=window, count=1)
        except IntegrityError:
            return bool(
                FormHit.objects.filter(client=key, window=window, count__lt=limit).update(
                    count=F("count") + 1
                )
            )
        # The client's first submission this minute: forget its old minutes.
        FormHit.objects.filter(client=key, window__lt=window - KEEP_WINDOWS).delete()
        return True


@dataclass
class Submission:
    lead: Lead | None
    created: bool
    refused: str = ""  # "rate": over the limit; "" otherwise (a honeypot hit looks fine)


def lead_submit_public(
    *,
    data: Mapping[str, Any],
    client: str,
    client_token: str,
    honeypot: str = "",
    source_channel: str = "",
    campaign_id: int | None = None,
) -> Submission:
    """A submission of the public form. ``ValidationError`` for bad input (shown on the
    form); a bot's (honeypot) is answered as a success and dropped."""
    if honeypot.strip():
        return Submission(lead=None, created=False)
    if client_token:
        repeated = Lead.objects.filter(client_token=client_token[:64]).first()
        if repeated is not None:
            return Submission(lead=repeated, created=False)
    if not form_rate_allow(client):
        return Submission(lead=None, created=False, refused="rate")
    fields = {name: data.get(name, "") for name in PUBLIC_FIELDS}
    fields["source_channel"] = source_channel
    if campaign_id:
        fields["campaign_id"] = campaign_id
    lead, created = lead_create(actor=None, data=fields, client_token=client_token)
    return Submission(lead=lead, created=created)
