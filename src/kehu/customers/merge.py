"""Merging duplicate customers, and undoing a merge.

Everything attached to a customer moves to the survivor through one registry of
relations: an app that attaches rows to customers (orders, interactions, tasks...)
registers its foreign key once, in its ``AppConfig.ready``::

    from kehu.customers.merge import register_relation
    register_relation(Order)                      # Order.customer
    register_relation(Refund, field="customer")

A relation with ``unique`` names the fields that must stay unique together with the
customer (a phone number, a pool block per user): rows that would clash stay with
the merged record. The merge record (``CustomerMerge``) keeps the survivor's values
before the merge, the merged record's data and the ids of every row that moved, so an
admin can undo it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.errors import KehuError
from kehu.customers import texts
from kehu.customers.access import access_customer, can_restore
from kehu.customers.models import (
    ChangeAction,
    Contact,
    Customer,
    CustomerChange,
    CustomerMerge,
    CustomerPhone,
    DuplicatePair,
    OwnerChange,
    OwnerChangeKind,
    SearchToken,
    is_contact_data,
)
from kehu.customers.search import search_index_customer
from kehu.customers.services import EDITABLE_FIELDS, customer_snapshot, derived_fields


class MergeError(KehuError):
    code = "merge"
    status = 409


@dataclass(frozen=True)
class Relation:
    model: type[models.Model]
    field: str = "customer"
    unique: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.model._meta.label_lower}.{self.field}"


_RELATIONS: dict[str, Relation] = {}


def register_relation(
    model: type[models.Model], field: str = "customer", *, unique: tuple[str, ...] = ()
) -> None:
    """Rows of ``model`` whose ``field`` points at a merged customer move to the survivor."""
    relation = Relation(model, field, unique)
    _RELATIONS[relation.key] = relation


def relations() -> list[Relation]:
    return list(_RELATIONS.values())


# Fields a merge may take from either record: the editable ones, the owner, and each
# custom field as ``custom:<key>``.
MERGE_FIELDS = (*EDITABLE_FIELDS, "owner")
CHOICES = ("self", "other")


def _raw(customer: Customer) -> dict[str, Any]:
    """The survivor's fields as JSON, enough to put them back."""
    data: dict[str, Any] = {}
    for name in EDITABLE_FIELDS:
        value = getattr(customer, name)
        data[name] = value.isoformat() if isinstance(value, dt.date) else value
    data["owner_id"] = customer.owner_id
    data["team_id"] = customer.team_id
    for stamp in ("claimed_at", "last_contact_at"):
        value = getattr(customer, stamp)
        data[stamp] = value.isoformat() if value else None
    data["custom_fields"] = dict(customer.custom_fields or {})
    data["tag_ids"] = sorted(customer.tags.values_list("pk", flat=True))
    data["phones"] = list(
        customer.phones.order_by("-is_primary", "id").values_list("number", flat=True)
    )
    return data


def _set_raw(customer: Customer, data: Mapping[str, Any]) -> None:
    for name in EDITABLE_FIELDS:
        value = data.get(name)
        if name == "birthday" and value:
            value = dt.date.fromisoformat(value)
        setattr(customer, name, value)
    customer.owner_id = data.get("owner_id")
    customer.team_id = data.get("team_id")
    for stamp in ("claimed_at", "last_contact_at"):
        value = data.get(stamp)
        setattr(customer, stamp, dt.datetime.fromisoformat(value) if value else None)
    customer.custom_fields = dict(data.get("custom_fields") or {})


def _blank(value: Any) -> bool:
    return value in (None, "", False)


def _choices_clean(
    fields: Mapping[str, str], survivor: Customer, other: Customer
) -> dict[str, str]:
    """Which record each field comes from. Unset fields keep the survivor's value,
    or take the other's where the survivor has none."""
    custom = {f"custom:{k}" for k in (survivor.custom_fields or {})} | {
        f"custom:{k}" for k in (other.custom_fields or {})
    }
    errors: dict[str, list[str]] = {}
    for name, choice in fields.items():
        if name not in MERGE_FIELDS and name not in custom:
            errors.setdefault(name, []).append(_("未知字段。"))
        elif choice not in CHOICES:
            errors.setdefault(name, []).append(
                _("请选择 self（保留本客户）或 other（采用另一客户）。")
            )
    if errors:
        raise ValidationError(errors)
    chosen: dict[str, str] = {}
    for name in (*MERGE_FIELDS, *sorted(custom)):
        if name in fields:
            chosen[name] = fields[name]
            continue
        mine, theirs = _value(survivor, name), _value(other, name)
        chosen[name] = "other" if _blank(mine) and not _blank(theirs) else "self"
    return chosen


def _value(customer: Customer, name: str) -> Any:
    if name == "owner":
        return customer.owner_id
    if name.startswith("custom:"):
        return (customer.custom_fields or {}).get(name.removeprefix("custom:"))
    return getattr(customer, name)


@transaction.atomic
def customer_merge(
    *, actor: User, survivor_id: object, other_id: object, fields: Mapping[str, str] | None = None
) -> CustomerMerge:
    """Merge customer ``other_id`` into ``survivor_id``; ``fields`` chooses, per field,
    ``"self"`` (the survivor's value) or ``"other"``."""
    if str(survivor_id) == str(other_id):
        raise MergeError(_("不能把客户合并到它自己。"), details={"reason": "same"})
    # Both must be visible and writable to the actor (404 / 403 otherwise).
    survivor = access_customer(actor, survivor_id, write=True)
    other = access_customer(actor, other_id, write=True)
    locked = {
        c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[survivor.pk, other.pk])
    }
    survivor, other = locked[survivor.pk], locked[other.pk]
    if survivor.deleted_at or other.deleted_at:
        raise MergeError(_("不能合并已删除的客户。"), details={"reason": "deleted"})
    chosen = _choices_clean(fields or {}, survivor, other)
    now = timezone.now()
    before_text = customer_snapshot(survivor)
    record = CustomerMerge(
        survivor=survivor,
        merged=other,
        actor=actor,
        at=now,
        survivor_before=_raw(survivor),
        merged_data={**_raw(other), "name": other.name, "version": other.version},
    )
    # Fields.
    for name, choice in chosen.items():
        if choice != "other":
            continue
        if name == "owner":
            survivor.owner_id, survivor.team_id = other.owner_id, other.team_id
            survivor.claimed_at = other.claimed_at
        elif name.startswith("custom:"):
            key = name.removeprefix("custom:")
            custom = dict(survivor.custom_fields or {})
            if key in (other.custom_fields or {}):
                custom[key] = other.custom_fields[key]
            else:
                custom.pop(key, None)
            survivor.custom_fields = custom
        else:
            setattr(survivor, name, getattr(other, name))
    derived_fields(survivor)
    # What the pool's reclaim rules read: the later contact of either record (the last
    # deal follows the orders, which move to the survivor below).
    theirs = other.last_contact_at
    if theirs and (survivor.last_contact_at is None or theirs > survivor.last_contact_at):
        survivor.last_contact_at = theirs
    # Attached rows.
    moved: dict[str, list[int]] = {}
    # One primary contact at most: the survivor's stays primary.
    if Contact.objects.filter(customer=survivor, is_primary=True).exists():
        Contact.objects.filter(customer=other, is_primary=True).update(is_primary=False)
    for relation in relations():
        moved[relation.key] = _move(relation, other.pk, survivor.pk)
    CustomerPhone.objects.filter(pk__in=moved.get(_phone_key(), [])).update(is_primary=False)
    have = set(survivor.tags.values_list("pk", flat=True))
    added = [pk for pk in other.tags.values_list("pk", flat=True) if pk not in have]
    survivor.tags.add(*added)
    moved["tags"] = added
    record.moved = moved
    record.save()
    _survivor_save(
        survivor,
        actor,
        now,
        previous_owner=record.survivor_before["owner_id"],
        message=texts.MERGED,
        params={"id": other.pk},
    )
    Customer.objects.filter(pk=other.pk).update(
        deleted_at=now,
        deleted_by=actor,
        merged_into=survivor,
        version=F("version") + 1,
        updated_at=now,
    )
    _audit(survivor, actor, before_text, ChangeAction.MERGE, f"#{other.pk} {other.name}")
    CustomerChange.objects.create(
        customer_id=other.pk,
        actor=actor,
        at=now,
        action=ChangeAction.MERGE,
        field="merged_into",
        new_value=f"#{survivor.pk} {survivor.name}",
    )
    DuplicatePair.objects.filter(
        customer_a_id=min(survivor.pk, other.pk), customer_b_id=max(survivor.pk, other.pk)
    ).delete()
    SearchToken.objects.filter(customer_id=other.pk).delete()
    search_index_customer(survivor)
    return record


def _survivor_save(
    survivor: Customer,
    actor: User,
    now: dt.datetime,
    *,
    previous_owner: int | None,
    message: str,
    params: dict[str, Any],
) -> None:
    """Write the survivor (a new version) and, when its owner changed, say so (why as a
    message code and its facts: ``kehu.customers.texts``)."""
    survivor.version = F("version") + 1  # type: ignore[assignment]
    survivor.updated_at = now
    survivor.updated_by = actor
    survivor.save()
    survivor.refresh_from_db()
    if survivor.owner_id != previous_owner:
        OwnerChange.objects.create(
            customer=survivor,
            kind=OwnerChangeKind.MERGE,
            actor=actor,
            from_user_id=previous_owner,
            to_user_id=survivor.owner_id,
            message=message,
            params=params,
            at=now,
        )


def _phone_key() -> str:
    return Relation(CustomerPhone).key


def _move(relation: Relation, from_id: int, to_id: int) -> list[int]:
    rows = relation.model._default_manager.filter(**{relation.field: from_id})
    if relation.unique:
        taken = set(
            relation.model._default_manager.filter(**{relation.field: to_id}).values_list(
                *relation.unique
            )
        )
        ids = [
            row[0]
            for row in rows.values_list("pk", *relation.unique)
            if tuple(row[1:]) not in taken
        ]
    else:
        ids = list(rows.values_list("pk", flat=True))
    for start in range(0, len(ids), 500):
        relation.model._default_manager.filter(pk__in=ids[start : start + 500]).update(
            **{relation.field: to_id}
        )
    return ids


def _audit(customer: Customer, actor: User, before: dict[str, str], action: str, note: str) -> None:
    after = customer_snapshot(customer)
    now = timezone.now()
    rows = [
        CustomerChange(
            customer=customer,
            actor=actor,
            at=now,
            action=action,
            field=key,
            old_value=before.get(key, ""),
            new_value=after.get(key, ""),
            contact_data=is_contact_data(key),
        )
        for key in sorted(set(before) | set(after))
        if before.get(key, "") != after.get(key, "")
    ]
    rows.append(
        CustomerChange(customer=customer, actor=actor, at=now, action=action, new_value=note)
    )
    CustomerChange.objects.bulk_create(rows)


@transaction.atomic
def merge_undo(*, actor: User, merge_id: int) -> CustomerMerge:
    """Put both customers back as they were before the merge (admins)."""
    if not can_restore(actor):
        raise PermissionDenied
    record = CustomerMerge.objects.select_for_update().filter(pk=merge_id).first()
    if record is None:
        raise Http404
    if record.undone_at is not None:
        raise MergeError(_("这次合并已经撤销过了。"), details={"reason": "undone"})
    survivor = Customer.objects.select_for_update().get(pk=record.survivor_id)
    merged = Customer.objects.select_for_update().get(pk=record.merged_id)
    if survivor.deleted_at is not None:
        raise MergeError(
            _("保留的客户已被删除或又被合并，请先恢复它。"), details={"reason": "survivor_gone"}
        )
    if merged.merged_into_id != survivor.pk:
        raise MergeError(_("被合并的客户已被恢复。"), details={"reason": "merged_restored"})
    now = timezone.now()
    before_text = customer_snapshot(survivor)
    for relation in relations():
        ids = record.moved.get(relation.key, [])
        for start in range(0, len(ids), 500):
            relation.model._default_manager.filter(pk__in=ids[start : start + 500]).update(
                **{relation.field: merged.pk}
            )
    survivor.tags.remove(*record.moved.get("tags", []))
    phones = record.merged_data.get("phones") or []
    if phones:
        CustomerPhone.objects.filter(customer=merged, number=phones[0]).update(is_primary=True)
    previous_owner = survivor.owner_id
    _set_raw(survivor, record.survivor_before)
    derived_fields(survivor)
    _survivor_save(
        survivor,
        actor,
        now,
        previous_owner=previous_owner,
        message=texts.UNMERGED,
        params={"id": merged.pk},
    )
    Customer.objects.filter(pk=merged.pk).update(
        deleted_at=None,
        deleted_by=None,
        merged_into=None,
        version=F("version") + 1,
        updated_at=now,
    )
    _audit(survivor, actor, before_text, ChangeAction.UNMERGE, f"#{merged.pk} {merged.name}")
    CustomerChange.objects.create(
        customer_id=merged.pk, actor=actor, at=now, action=ChangeAction.UNMERGE
    )
    record.undone_at = now
    record.undone_by = actor
    record.save(update_fields=["undone_at", "undone_by"])
    merged.refresh_from_db()
    search_index_customer(survivor)
    search_index_customer(merged)
    return record
