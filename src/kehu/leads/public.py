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
from django.db import connection, transaction
from django.utils import timezone

from kehu.leads.models import FormHit, Lead
from kehu.leads.services import lead_create

PUBLIC_FIELDS = ("name", "phone", "company", "province", "city", "notes")


def form_rate_allow(
    client: str, *, now: dt.datetime | None = None, limit: int | None = None
) -> bool:
    """Count one submission of ``client`` in the current minute; False once the minute
    already had ``limit``. One statement (an upsert), so racing processes each count:
    the database serialises them on the row. Old minutes are dropped by the daily job
    (``tasks``), not here: the form's hot path writes one row per client and minute."""
    limit = settings.KEHU_LEAD_FORM_RATE if limit is None else limit
    moment = now or timezone.now()
    window = moment.replace(second=0, microsecond=0)
    table = connection.ops.quote_name(FormHit._meta.db_table)
    client_column, window_column, count_column = (
        connection.ops.quote_name(name) for name in ("client", "window", "count")
    )
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({client_column}, {window_column}, {count_column}) "
            f"VALUES (%s, %s, 1) ON CONFLICT ({client_column}, {window_column}) "
            f"DO UPDATE SET {count_column} = {table}.{count_column} + 1 "
            f"RETURNING {count_column}",
            [(client or "unknown")[:64], connection.ops.adapt_datetimefield_value(window)],
        )
        (count,) = cursor.fetchone()
    return int(count) <= limit


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
    fields = {name: data.get(name, "") for name in PUBLIC_FIELDS}
    fields["source_channel"] = source_channel
    if campaign_id:
        fields["campaign_id"] = campaign_id
    # One transaction (one write lock on SQLite) for the count and the lead. A repeated
    # token counts as a submission too: a double click is two.
    with transaction.atomic():
        if not form_rate_allow(client):
            return Submission(lead=None, created=False, refused="rate")
        lead, created = lead_create(actor=None, data=fields, client_token=client_token)
    return Submission(lead=lead, created=created)
