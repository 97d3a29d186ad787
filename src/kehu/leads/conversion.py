"""Conversion (转化): a qualified lead becomes a customer through the customers' own
service (``customer_create``: the same checks, duplicate detection and audit as a
customer typed by hand), or is linked to a customer that already exists. The lead
keeps its history — its events and contact attempts show on the customer's timeline
(``timeline``) — and its id on the customer (``customer.leads``; the API's
``lead_id`` is the first). The new customer enters the first stage of every active lifecycle
model, with the conversion as the reason.

An opportunity (商机) may be opened in the same transaction, through the pipeline's
own service (``opportunity_create``: its first phase, the same checks as the form).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.customers.access import can_write
from kehu.customers.models import Customer, CustomerKind
from kehu.customers.services import customer_create
from kehu.leads.access import can_change_lead
from kehu.leads.history import lead_event
from kehu.leads.models import Lead, LeadEventKind, LeadStatus
from kehu.leads.services import LeadStateError
from kehu.lifecycle.models import CustomerStage, LifecycleModel
from kehu.lifecycle.services import stage_move
from kehu.pipeline.models import Opportunity
from kehu.pipeline.services import opportunity_create

OPPORTUNITY_FIELDS = ("name", "amount", "expected_close_date", "next_step", "notes")


def _opportunity_open(
    actor: User, lead: Lead, customer: Customer, data: Mapping[str, Any]
) -> Opportunity:
    """An opportunity for the converted customer, named after the lead unless named."""
    unknown = sorted(set(data) - set(OPPORTUNITY_FIELDS))
    if unknown:
        raise ValidationError(
            {"opportunity": [_("商机没有这些字段：%(names)s") % {"names": "、".join(unknown)}]}
        )
    amount, close = data.get("amount"), data.get("expected_close_date")
    try:
        amount = None if amount in (None, "") else Decimal(str(amount))
        if isinstance(close, str):
            close = dt.date.fromisoformat(close) if close else None
    except (InvalidOperation, ValueError):
        raise ValidationError({"opportunity": [_("商机的金额或预计成交日期无效。")]}) from None
    name = str(data.get("name") or "").strip() or _("%(name)s 的商机") % {"name": lead.name}
    return opportunity_create(
        actor=actor,
        customer=customer,
        name=name[:200],
        amount=amount,
        expected_close_date=close,
        next_step=str(data.get("next_step") or ""),
        notes=str(data.get("notes") or ""),
    )


@dataclass
class Conversion:
    customer: Customer
    opportunity: Any = None
    created_customer: bool = True


def _customer_data(lead: Lead) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    data = {
        "kind": CustomerKind.COMPANY if lead.company else CustomerKind.PERSON,
        "name": lead.company or lead.name,
        "province": lead.province,
        "city": lead.city,
        "source_channel": lead.source_channel,
        "notes": lead.notes,
    }
    contacts = (
        [{"name": lead.name, "phone": lead.phone, "is_primary": True}] if lead.company else []
    )
    return data, contacts


def lifecycle_place(*, actor: User, customer: Customer, lead: Lead) -> int:
    """Put the converted customer in the first stage of every active lifecycle model it
    is not in yet, the reason saying it came from this lead. Returns how many."""
    reason = _("由线索 #%(id)d 转化为客户（来源：%(channel)s）") % {
        "id": lead.pk,
        "channel": lead.get_source_channel_display() or _("未知"),
    }
    placed = 0
    for model in LifecycleModel.objects.filter(is_active=True).order_by("position", "pk"):
        first = model.stages.order_by("position", "pk").first()
        if first is None or CustomerStage.objects.filter(customer=customer, model=model).exists():
            continue
        stage_move(actor=actor, customer=customer, model=model, stage=first, reason=reason)
        placed += 1
    return placed


@transaction.atomic
def lead_convert(
    *,
    actor: User,
    lead: Lead,
    into: Customer | None = None,
    allow_duplicate: bool = False,
    opportunity: Mapping[str, Any] | None = None,
) -> Conversion:
    """Convert a qualified lead. ``into``: an existing customer (the actor must be able
    to change it; the caller passed it through ``access_customer``) instead of a new
    one. A new customer that looks like an existing one raises the customers'
    ``DuplicateError`` unless ``allow_duplicate`` (and the actor may decide so).
    ``opportunity``: the fields of an opportunity to open for the customer
    (``OPPORTUNITY_FIELDS``; an amount as a decimal string)."""
    if not can_change_lead(actor, lead):
        raise PermissionDenied
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    if locked.status == LeadStatus.CONVERTED:
        raise LeadStateError(_("该线索已经转化过了。"))
    if locked.status != LeadStatus.QUALIFIED:
        raise LeadStateError(_("只有判定为合格的线索才能转化为客户。"))
    if into is not None:
        if not can_write(actor, into) or into.deleted_at is not None:
            raise PermissionDenied
        customer, created = into, False
    else:
        data, contacts = _customer_data(lead)
        customer = customer_create(
            actor=actor,
            data=data,
            phones=[lead.phone],
            owner=lead.owner if lead.owner_id else actor,
            contacts=contacts,
            allow_duplicate=allow_duplicate,
        )
        created = True
    now = timezone.now()
    Lead.objects.filter(pk=lead.pk).update(
        status=LeadStatus.CONVERTED,
        customer=customer,
        converted_at=now,
        version=F("version") + 1,
        updated_at=now,
        updated_by=actor,
    )
    lead.refresh_from_db()
    lead_event(
        lead,
        LeadEventKind.CONVERT,
        actor=actor,
        note=_("客户：%(name)s") % {"name": customer.name},
        at=now,
    )
    if created:
        lifecycle_place(actor=actor, customer=customer, lead=lead)
    made = None
    if opportunity is not None:
        made = _opportunity_open(actor, lead, customer, opportunity)
    return Conversion(customer=customer, opportunity=made, created_customer=created)
