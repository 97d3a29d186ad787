"""Segment facts in Python, customer by customer: the lifecycle fact table plus what
segments add (the profile, the stage in each model, the RFM scores). The reference the
SQL compilation is tested against (``tests/segments``), and the facts a sample
customer's "why" is worded from.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from kehu.customers.models import Customer
from kehu.lifecycle.facts import fact_table
from kehu.lifecycle.models import CustomerStage
from kehu.orders.models import PURCHASE_STATUSES, Order, OrderLine
from kehu.segments.compile import PROFILE_COLUMNS
from kehu.value.models import CustomerValue
from kehu.value.selectors import run_latest_good

DAY = 86400.0


def _age(birthday: dt.date | None, today: dt.date) -> int | None:
    if birthday is None or birthday > today:
        return None
    return today.year - birthday.year - ((today.month, today.day) < (birthday.month, birthday.day))


def segment_facts(customer_ids: Iterable[int], *, now: dt.datetime) -> dict[int, dict[str, Any]]:
    """Per alive customer among ``customer_ids``: every fact a segment may read."""
    table = fact_table(customer_ids, now=now)
    ids = table.ids.tolist()
    rows = dict(zip(ids, table.rows(range(len(ids))), strict=True))
    today = timezone.localdate(now)
    columns = ["id", "birthday", "interests", "custom_fields", *PROFILE_COLUMNS.values()]
    for values in Customer.objects.filter(pk__in=ids).values_list(*columns):
        facts = rows[values[0]]
        facts["age"] = _age(values[1], today)
        facts["interests"] = values[2] or ""  # "has": the text contains the value
        for key, value in (values[3] or {}).items():
            if isinstance(value, str):
                facts[f"custom_text#{key}"] = value
            elif isinstance(value, int | float) and not isinstance(value, bool):
                facts[f"custom_number#{key}"] = value
        for name, value in zip(PROFILE_COLUMNS, values[4:], strict=True):
            facts[name] = value or None
    for customer_id, model, stage, since in CustomerStage.objects.filter(
        customer_id__in=ids
    ).values_list("customer_id", "model__key", "stage__key", "since"):
        facts = rows[customer_id]
        facts[f"stage@{model}"] = stage
        facts[f"stage_days@{model}"] = math.floor((now - since).total_seconds() / DAY)
    for facts in rows.values():
        facts["order_channels"], facts["categories"], facts["products"] = set(), set(), set()
    bought = Order.objects.filter(
        customer_id__in=ids, status__in=PURCHASE_STATUSES, ordered_at__lte=now
    )
    for customer_id, channel in bought.values_list("customer_id", "channel").distinct():
        rows[customer_id]["order_channels"].add(channel)
    for customer_id, category, sku in (
        OrderLine.objects.filter(order__in=bought)
        .values_list("order__customer_id", "product__category", "product__sku")
        .distinct()
    ):
        rows[customer_id]["categories"].add(category)
        rows[customer_id]["products"].add(sku)
    run = run_latest_good()
    if run is not None:
        bins = int(((run.detail or {}).get("settings") or {}).get("rfm_bins") or 5)
        for customer_id, r, f, m, rfm_segment, group in CustomerValue.objects.filter(
            run=run, customer_id__in=ids
        ).values_list("customer_id", "r", "f", "m", "rfm_segment", "segment"):
            facts = rows[customer_id]
            for name, score in (("rfm_r", r), ("rfm_f", f), ("rfm_m", m)):
                facts[name] = math.ceil(score * 5 / bins)
            facts["rfm_segment"] = rfm_segment
            facts["value_group"] = group
    return rows
