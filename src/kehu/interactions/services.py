"""Writes of interactions: validated, access-checked, keeping the customer's
``last_contact_at`` (which the public-pool reclaim rules read) in step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.dates import business_moment_check
from kehu.core.events import CustomerEvent, emit
from kehu.customers.access import can_log_interaction
from kehu.customers.models import Contact, Customer
from kehu.interactions.models import Interaction

FIELDS = (
    "kind",
    "direction",
    "occurred_at",
    "duration_minutes",
    "outcome",
    "notes",
    "next_step",
)
MAX_FUTURE = dt.timedelta(days=1)


@transaction.atomic
def interaction_log(
    *, actor: User, customer: Customer, data: Mapping[str, Any], contact_id: int | None = None
) -> Interaction:
    """Record one touch. ``occurred_at`` defaults to now; not more than a day ahead."""
    if not can_log_interaction(actor, customer):
        raise PermissionDenied
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationError({key: _("未知字段。") for key in sorted(unknown)})
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    if not values.get("occurred_at"):
        values["occurred_at"] = timezone.now()
    interaction = Interaction(customer=customer, user=actor, created_by=actor, **values)
    if contact_id is not None:
        contact = Contact.objects.filter(pk=contact_id, customer=customer).first()
        if contact is None:
            raise ValidationError({"contact": _("该客户没有这个联系人。")})
        interaction.contact = contact
    interaction.full_clean(exclude=["customer", "user", "created_by", "contact"])
    business_moment_check(interaction.occurred_at, "occurred_at")
    if interaction.occurred_at > timezone.now() + MAX_FUTURE:
        raise ValidationError({"occurred_at": _("跟进时间不能晚于明天。")})
    interaction.save()
    contacted = min(interaction.occurred_at, timezone.now())
    Customer.objects.filter(pk=customer.pk).filter(
        Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=contacted)
    ).update(last_contact_at=contacted)
    emit(
        CustomerEvent(
            "interaction_logged", customer.pk, actor.pk, {"interaction_id": interaction.pk}
        )
    )
    return interaction
