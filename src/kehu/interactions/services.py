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
from kehu.customers.access import can_log_interaction, can_reassign
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
    *,
    actor: User,
    customer: Customer,
    data: Mapping[str, Any],
    contact_id: int | None = None,
    user: User | None = None,
) -> Interaction:
    """Record one touch. ``occurred_at`` defaults to now; not more than a day ahead.
    ``user`` is who made the touch (default: the actor); another user than oneself
    only for those who may reassign customers (managers, admins)."""
    if not can_log_interaction(actor, customer):
        raise PermissionDenied
    if user is None:
        user = actor
    elif user.pk != actor.pk:
        if not can_reassign(actor):
            raise ValidationError({"user": _("您只能以自己的名义记录跟进。")})
        if not user.is_active:
            raise ValidationError({"user": _("该用户已停用。")})
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationError({key: _("未知字段。") for key in sorted(unknown)})
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    if not values.get("occurred_at"):
        values["occurred_at"] = timezone.now()
    interaction = Interaction(customer=customer, user=user, created_by=actor, **values)
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


def can_remove_interaction(actor: User, interaction: Interaction) -> bool:
    """Admins, and whoever recorded it while they may still log for the customer."""
    if not actor.is_active:
        return False
    if actor.is_admin_role:
        return True
    return interaction.created_by_id == actor.pk and can_log_interaction(
        actor, interaction.customer
    )


@transaction.atomic
def interaction_remove(*, actor: User, interaction: Interaction) -> None:
    """Delete a touch recorded by mistake (or by an import that is undone). The
    customer's ``last_contact_at`` becomes that of its latest touch left."""
    if not can_remove_interaction(actor, interaction):
        raise PermissionDenied
    customer_id = interaction.customer_id
    interaction_id = interaction.pk
    interaction.delete()
    latest = (
        Interaction.objects.filter(customer_id=customer_id, occurred_at__lte=timezone.now())
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )
    if latest is None and Interaction.objects.filter(customer_id=customer_id).exists():
        latest = timezone.now()  # only touches ahead (up to a day): contacted "now"
    Customer.objects.filter(pk=customer_id).update(last_contact_at=latest)
    emit(
        CustomerEvent(
            "interaction_removed", customer_id, actor.pk, {"interaction_id": interaction_id}
        )
    )
