"""Conversion (转化): a qualified lead becomes a customer through the customers' own
service (``customer_create``: the same checks, duplicate detection and audit as a
customer typed by hand), or is linked to a customer that already exists. The lead
keeps its history — its events and contact attempts show on the customer's timeline
(``timeline``) — and its id on the customer (``customer.leads``; the API's
``lead_id`` is the first). The new customer enters the first stage of every active lifecycle
model, with the conversion as the reason.

An opportunity (商机) may be opened in the same transaction: the pipeline app
registers its maker here (``register_opportunity_maker``) when it lands; until then,
asking for one is refused with a clear message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
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

# (actor, lead, customer, data) -> the opportunity made. Registered by the pipeline app
# (``opportunity_create`` behind it) once it exists; see ``register_opportunity_maker``.
OpportunityMaker = Callable[[User, Lead, Customer, Mapping[str, Any]], Any]
_opportunity_maker: OpportunityMaker | None = None


def register_opportunity_maker(maker: OpportunityMaker | None) -> None:
    """The hook for "convert to a customer and optionally an opportunity": the app that
    owns opportunities registers the function that opens one for the new customer."""
    global _opportunity_maker
    _opportunity_maker = maker


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
    ``opportunity``: the fields of an opportunity to open for the customer (through the
    registered maker)."""
    if not can_change_lead(actor, lead):
        raise PermissionDenied
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    if locked.status == LeadStatus.CONVERTED:
        raise LeadStateError(_("该线索已经转化过了。"))
    if locked.status != LeadStatus.QUALIFIED:
        raise LeadStateError(_("只有判定为合格的线索才能转化为客户。"))
    if opportunity is not None and _opportunity_maker is None:
        raise ValidationError({"opportunity": [_("商机功能尚未启用，请只转化为客户。")]})
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
    if opportunity is not None and _opportunity_maker is not None:
        made = _opportunity_maker(actor, lead, customer, opportunity)
    return Conversion(customer=customer, opportunity=made, created_customer=created)
