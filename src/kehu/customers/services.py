"""Every write to customers goes through here: create, update, delete, restore,
contacts. Each call validates, checks the actor's rights, writes an audit row and
keeps the search index in step, all in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.accounts.selectors import users_assignable_by
from kehu.core.dates import birthday_check
from kehu.core.errors import ConflictError
from kehu.core.events import CustomerEvent, emit
from kehu.customers.access import can_create, can_reassign, can_restore, can_write
from kehu.customers.contacts import (
    contact_add,
    contact_build,
    contact_delete,
    contact_update,
)
from kehu.customers.custom_fields import custom_fields_clean
from kehu.customers.duplicates import (
    DuplicateError,
    duplicate_candidates,
    email_key,
    may_create_anyway,
    name_key,
)
from kehu.customers.models import (
    ChangeAction,
    Contact,
    Customer,
    CustomerChange,
    CustomerPhone,
    CustomFieldDefinition,
    OwnerChange,
    OwnerChangeKind,
    Tag,
    is_contact_data,
)
from kehu.customers.phones import phone_normalize
from kehu.customers.pinyin import pinyin_sort_key
from kehu.customers.search import SearchDocument, search_index_customer
from kehu.customers.selectors import custom_field_definitions


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()

EDITABLE_FIELDS: Final = (
    "kind",
    "name",
    "email",
    "wechat_id",
    "province",
    "city",
    "district",
    "address",
    "industry",
    "company_size",
    "source_channel",
    "gender",
    "birthday",
    "birthday_is_lunar",
    "income_band",
    "interests",
    "notes",
    "source",
    "external_id",
)
MAX_PHONES = 10
MAX_TAGS = 30


# --- helpers ------------------------------------------------------------------------


def _clean_text(data: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({key: _("未知字段。") for key in sorted(unknown)})
    cleaned: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, str):
            value = value.strip()
            if key == "email":
                value = email_key(value)
        if key == "birthday" and isinstance(value, dt.date):
            birthday_check(value, "birthday")
        if value is None and key not in ("birthday",):
            value = False if key == "birthday_is_lunar" else ""
        cleaned[key] = value
    return cleaned


def _phones_clean(phones: Iterable[str]) -> list[str]:
    numbers: list[str] = []
    errors: list[str] = []
    for raw in phones:
        if raw is None or not str(raw).strip():
            continue
        try:
            number = phone_normalize(str(raw))
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        if number not in numbers:
            numbers.append(number)
    if errors:
        raise ValidationError({"phones": errors})
    if len(numbers) > MAX_PHONES:
        raise ValidationError({"phones": _("最多 %(n)d 个电话号码。") % {"n": MAX_PHONES}})
    return numbers


def _tags_clean(tags: Iterable[str]) -> list[str]:
    names: list[str] = []
    for raw in tags:
        name = str(raw).strip()
        if not name:
            continue
        if len(name) > 50:
            raise ValidationError({"tags": _("标签最多 50 个字符：%(tag)s") % {"tag": name[:60]}})
        if name not in names:
            names.append(name)
    if len(names) > MAX_TAGS:
        raise ValidationError({"tags": _("最多 %(n)d 个标签。") % {"n": MAX_TAGS}})
    return names


def _owner_check(actor: User, owner: User | None) -> None:
    if owner is not None and owner.pk == actor.pk and can_create(actor):
        return
    if not can_reassign(actor):
        raise ValidationError({"owner": _("您无权指定其他负责人。")})
    if owner is None:
        return
    if not users_assignable_by(actor).filter(pk=owner.pk).exists():
        raise ValidationError({"owner": _("不能把客户分配给该用户。")})


def customer_owner_check(actor: User, owner: User | None) -> None:
    """``ValidationError`` unless ``actor`` may give a new customer to ``owner`` (None:
    the pool): what ``customer_prepare`` checks, for a caller that prepared the
    customer earlier and assigns its owner now (an import's run)."""
    if not can_create(actor):
        raise PermissionDenied
    _owner_check(actor, owner)


def _set_phones(customer: Customer, numbers: list[str]) -> None:
    CustomerPhone.objects.filter(customer=customer).delete()
    CustomerPhone.objects.bulk_create(
        CustomerPhone(customer=customer, number=n, is_primary=i == 0) for i, n in enumerate(numbers)
    )


def _set_tags(customer: Customer, names: list[str]) -> None:
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    for name in names:
        if name not in existing:
            existing[name], _created = Tag.objects.get_or_create(name=name)
    customer.tags.set([existing[n] for n in names])


def derived_fields(customer: Customer) -> None:
    """Fields computed from the name: the pinyin sort key and the duplicate key."""
    customer.name_pinyin = pinyin_sort_key(customer.name, person=customer.kind == "person")
    customer.name_key = name_key(customer.name, customer.kind, customer.city, customer.province)


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def customer_snapshot(customer: Customer) -> dict[str, str]:
    """Every audited field as text (for history and merge records)."""
    snap = {name: _display(getattr(customer, name)) for name in EDITABLE_FIELDS}
    snap["phones"] = _display([p.number for p in customer.phones.order_by("-is_primary", "id")])
    snap["tags"] = _display(sorted(customer.tags.values_list("name", flat=True)))
    snap["owner"] = customer.owner.username if customer.owner_id and customer.owner else ""
    for key, value in sorted((customer.custom_fields or {}).items()):
        snap[f"custom:{key}"] = _display(value)
    return snap


def _record_diff(
    customer: Customer, actor: User | None, before: dict[str, str], after: dict[str, str]
) -> int:
    now = timezone.now()
    rows = [
        CustomerChange(
            customer=customer,
            actor=actor,
            at=now,
            action=ChangeAction.UPDATE,
            field=key,
            old_value=before.get(key, ""),
            new_value=after.get(key, ""),
            contact_data=is_contact_data(key),
        )
        for key in sorted(set(before) | set(after))
        if before.get(key, "") != after.get(key, "")
    ]
    CustomerChange.objects.bulk_create(rows)
    return len(rows)


def _history(customer: Customer, actor: User | None, action: str, note: str = "") -> None:
    CustomerChange.objects.create(
        customer=customer, actor=actor, at=timezone.now(), action=action, new_value=note
    )


def _duplicates_check(actor: User, customer: Customer, numbers: list[str], *, allow: bool) -> None:
    candidates = duplicate_candidates(
        actor=actor,
        name=customer.name,
        kind=customer.kind,
        city=customer.city,
        province=customer.province,
        phones=numbers,
        email=customer.email,
    )
    if not candidates:
        return
    can_override = may_create_anyway(actor, candidates)
    if not (allow and can_override):
        raise DuplicateError(candidates, can_override=can_override)


# --- customers ----------------------------------------------------------------------


_NOT_CLEANED = ("owner", "team", "custom_fields", "created_by", "updated_by")
_OPTIONAL = tuple(
    f.name for f in Customer._meta.concrete_fields if f.blank and f.name not in _NOT_CLEANED
)


@dataclass
class PreparedCustomer:
    """A customer checked by ``customer_prepare`` and not yet saved."""

    customer: Customer
    phones: list[str]
    tags: list[str]
    contacts: list[Contact]
    # Its search tokens when already known (an import's dry run computed them).
    tokens: frozenset[str] | None = None

    def search_tokens(self) -> frozenset[str]:
        """What the search index holds for this customer."""
        if self.tokens is None:
            c = self.customer
            self.tokens = frozenset(
                SearchDocument(
                    customer_id=0,
                    name=c.name,
                    kind=c.kind,
                    phones=tuple(self.phones),
                    email=c.email,
                    wechat_id=c.wechat_id,
                    contact_names=tuple(x.name for x in self.contacts),
                    contact_phones=tuple(x.phone for x in self.contacts if x.phone),
                    contact_emails=tuple(x.email for x in self.contacts if x.email),
                ).tokens()
            )
        return self.tokens


def customer_prepare(
    *,
    actor: User,
    data: Mapping[str, Any],
    phones: Iterable[str] = (),
    tags: Iterable[str] = (),
    custom_fields: Mapping[str, Any] | None = None,
    owner: User | _Unset | None = UNSET,
    contacts: Iterable[Mapping[str, Any]] = (),
    definitions: list[CustomFieldDefinition] | None = None,
    owner_checked: bool = False,
) -> PreparedCustomer:
    """Every check ``customer_create`` makes except the duplicate check, writing
    nothing: the form and the importer's dry run share it. Raises ``ValidationError``
    with every field's errors. ``definitions`` and ``owner_checked`` let a caller that
    prepares many customers look the custom fields and the owner up once."""
    if not can_create(actor):
        raise PermissionDenied
    fields = _clean_text(data)
    errors: dict[str, list[str]] = {}
    resolved_owner: User | None = actor if isinstance(owner, _Unset) else owner
    if not owner_checked:
        try:
            _owner_check(actor, resolved_owner)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    customer = Customer(**fields)
    customer.owner = resolved_owner
    customer.team_id = resolved_owner.team_id if resolved_owner else None
    customer.created_by = customer.updated_by = actor
    numbers: list[str] = []
    tag_names: list[str] = []
    built: list[Contact] = []
    if definitions is None:
        definitions = custom_field_definitions()
    for step in (
        lambda: numbers.extend(_phones_clean(phones)),
        lambda: tag_names.extend(_tags_clean(tags)),
        lambda: setattr(
            customer,
            "custom_fields",
            custom_fields_clean(definitions, dict(custom_fields or {})),
        ),
        # The one constraint (an external id once per source) holds no empty id, and
        # created_by/updated_by are the actor: no query for either per customer (an
        # import checks thousands).
        # Fields that may be blank and were not given hold their defaults: checked
        # once by the model's definition, not again for every customer.
        lambda: customer.full_clean(
            exclude=[*_NOT_CLEANED, *(name for name in _OPTIONAL if name not in fields)],
            validate_constraints=bool(customer.external_id),
        ),
        lambda: built.extend(contact_build(customer, c) for c in contacts),
    ):
        try:
            step()
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    derived_fields(customer)
    has_primary = False
    for contact in built:  # one primary contact at most
        contact.is_primary = contact.is_primary and not has_primary
        has_primary = has_primary or contact.is_primary
    return PreparedCustomer(customer, numbers, tag_names, built)


@transaction.atomic
def customer_create(
    *,
    actor: User,
    data: Mapping[str, Any],
    phones: Iterable[str] = (),
    tags: Iterable[str] = (),
    custom_fields: Mapping[str, Any] | None = None,
    owner: User | _Unset | None = UNSET,
    contacts: Iterable[Mapping[str, Any]] = (),
    allow_duplicate: bool = False,
    referral_code: str = "",
) -> Customer:
    """Create a customer owned by ``owner`` (by default the actor).

    ``referral_code`` (推荐码) is passed on with the ``customer_created`` event; the app
    that keeps referrals may refuse it (``ValidationError``), and then nothing is created.

    A customer that looks like an existing one (same phone or e-mail, same or very
    similar company name in the same city) raises ``DuplicateError`` with the
    candidates, unless ``allow_duplicate`` and the actor may decide so."""
    prepared = customer_prepare(
        actor=actor,
        data=data,
        phones=phones,
        tags=tags,
        custom_fields=custom_fields,
        owner=owner,
        contacts=contacts,
    )
    customer, numbers = prepared.customer, prepared.phones
    _duplicates_check(actor, customer, numbers, allow=allow_duplicate)
    now = timezone.now()
    if customer.owner_id is not None:
        customer.claimed_at = now
    customer.save()
    if customer.owner_id is not None:
        OwnerChange.objects.create(
            customer=customer,
            kind=OwnerChangeKind.CREATE,
            actor=actor,
            to_user_id=customer.owner_id,
            at=now,
        )
    _set_phones(customer, numbers)
    _set_tags(customer, prepared.tags)
    for contact in prepared.contacts:
        contact.customer = customer
        contact.save()
    _history(customer, actor, ChangeAction.CREATE)
    search_index_customer(customer)
    emit(
        CustomerEvent(
            "customer_created", customer.pk, actor.pk, {"referral_code": referral_code.strip()}
        )
    )
    return customer


@transaction.atomic
def customer_update(
    *,
    actor: User,
    customer: Customer,
    version: int,
    data: Mapping[str, Any] | None = None,
    phones: Iterable[str] | None = None,
    tags: Iterable[str] | None = None,
    custom_fields: Mapping[str, Any] | None = None,
    owner: User | _Unset | None = UNSET,
) -> Customer:
    """Change a customer. ``version`` is the version the actor read: if someone
    saved since, nothing is written and ``ConflictError`` says who and when."""
    if not can_write(actor, customer):
        raise PermissionDenied
    # Work on a fresh copy: a refused change must leave the caller's object as it was.
    customer = Customer.objects.select_related("owner").get(pk=customer.pk)
    fields = _clean_text(data or {})
    before = customer_snapshot(customer)
    before_owner_id = customer.owner_id
    errors: dict[str, list[str]] = {}
    numbers = None
    tag_names = None
    for key, value in fields.items():
        setattr(customer, key, value)
    if not isinstance(owner, _Unset) and owner != customer.owner:
        try:
            _owner_check(actor, owner)
            if owner is not None and owner.pk == actor.pk and not can_reassign(actor):
                raise ValidationError({"owner": _("您无权更改负责人。")})
        except ValidationError as exc:
            errors.update(exc.message_dict)
        customer.owner = owner
        customer.team_id = owner.team_id if owner else None
        customer.claimed_at = timezone.now() if owner else None
    try:
        if phones is not None:
            numbers = _phones_clean(phones)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        if tags is not None:
            tag_names = _tags_clean(tags)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if custom_fields is not None:
        try:
            merged = dict(customer.custom_fields or {})
            merged.update(custom_fields)
            customer.custom_fields = custom_fields_clean(
                custom_field_definitions(), merged, partial=True
            )
        except ValidationError as exc:
            errors.update(exc.message_dict)
    try:
        customer.full_clean(exclude=["owner", "team", "custom_fields"])
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    derived_fields(customer)
    now = timezone.now()
    values = {name: getattr(customer, name) for name in EDITABLE_FIELDS}
    updated = Customer.objects.filter(
        pk=customer.pk, version=version, deleted_at__isnull=True
    ).update(
        **values,
        name_pinyin=customer.name_pinyin,
        name_key=customer.name_key,
        custom_fields=customer.custom_fields,
        owner=customer.owner,
        team_id=customer.team_id,
        claimed_at=customer.claimed_at,
        version=F("version") + 1,
        updated_at=now,
        updated_by=actor,
    )
    if updated == 0:
        raise _conflict(customer.pk)
    if numbers is not None:
        _set_phones(customer, numbers)
    if tag_names is not None:
        _set_tags(customer, tag_names)
    previous_owner_id = before_owner_id
    customer.refresh_from_db()
    if customer.owner_id != previous_owner_id:
        OwnerChange.objects.create(
            customer=customer,
            kind=OwnerChangeKind.TRANSFER,
            actor=actor,
            from_user_id=previous_owner_id,
            to_user_id=customer.owner_id,
            at=now,
        )
    after = customer_snapshot(customer)
    _record_diff(customer, actor, before, after)
    if any(before[k] != after[k] for k in ("name", "kind", "phones", "email", "wechat_id")):
        search_index_customer(customer)
    return customer


def _conflict(customer_id: int) -> ConflictError:
    current = Customer.objects.select_related("updated_by").filter(pk=customer_id).first()
    if current is None or current.deleted_at is not None:
        return ConflictError(_("该客户已被删除，您的修改未保存。"), details={"deleted": True})
    who = current.updated_by.label if current.updated_by else _("其他用户")
    when = timezone.localtime(current.updated_at).strftime("%Y-%m-%d %H:%M:%S")
    return ConflictError(
        _("该客户已被 %(who)s 于 %(when)s 修改。您的修改尚未保存：请核对最新内容后再提交。")
        % {"who": who, "when": when},
        details={"current_version": current.version, "updated_by": who, "updated_at": when},
    )


@transaction.atomic
def customer_delete(*, actor: User, customer: Customer, version: int | None = None) -> None:
    """Soft delete: the record stays, hidden, and an admin can restore it."""
    if not can_write(actor, customer):
        raise PermissionDenied
    qs = Customer.objects.filter(pk=customer.pk, deleted_at__isnull=True)
    if version is not None:
        qs = qs.filter(version=version)
    if not qs.update(deleted_at=timezone.now(), deleted_by=actor, version=F("version") + 1):
        raise _conflict(customer.pk)
    _history(customer, actor, ChangeAction.DELETE)


@transaction.atomic
def customer_restore(*, actor: User, customer: Customer) -> None:
    if not can_restore(actor):
        raise PermissionDenied
    Customer.objects.filter(pk=customer.pk, deleted_at__isnull=False).update(
        deleted_at=None, deleted_by=None, version=F("version") + 1, updated_at=timezone.now()
    )
    _history(customer, actor, ChangeAction.RESTORE)


# --- contacts (kept for existing callers; ``kehu.customers.contacts`` does the work) -----


def contact_save(
    *, actor: User, customer: Customer, data: Mapping[str, Any], contact: Contact | None = None
) -> Contact:
    """Add a contact to ``customer`` or change one of its contacts (no version check)."""
    if contact is None:
        return contact_add(actor=actor, customer=customer, data=data)
    if contact.customer_id != customer.pk:
        raise PermissionDenied
    return contact_update(actor=actor, contact=contact, data=data, version=None)


def contact_remove(*, actor: User, customer: Customer, contact: Contact) -> None:
    if not can_write(actor, customer) or contact.customer_id != customer.pk:
        raise PermissionDenied
    contact_delete(actor=actor, contact=contact)
