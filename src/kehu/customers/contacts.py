"""A customer's contacts (联系人): add, change, remove, mark primary.

Every write checks the rights of the contact's customer (``access.can_write``), keeps
one primary contact at most, writes the change into the customer's history (field
``contacts``, contact data: masked where the customer's contact data is) and keeps the
search index in step, in one transaction. Changes carry the version the user read:
a contact someone saved since is refused with ``ConflictError``, never overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.errors import ConflictError
from kehu.customers.access import access_customer, can_write, contact_data_hidden
from kehu.customers.models import ChangeAction, Contact, Customer, CustomerChange
from kehu.customers.phones import phone_normalize
from kehu.customers.search import search_index_customer

CONTACT_FIELDS: Final = ("name", "title", "phone", "email", "wechat_id", "is_primary", "notes")
MAX_CONTACTS = 100


def contact_build(
    customer: Customer, data: Mapping[str, Any], contact: Contact | None = None
) -> Contact:
    """A contact with ``data`` applied and validated (not saved): the phone normalised
    like the customer's phones, the e-mail checked and lower-cased."""
    unknown = set(data) - set(CONTACT_FIELDS)
    if unknown:
        raise ValidationError({key: _("未知字段。") for key in sorted(unknown)})
    contact = contact or Contact(customer=customer)
    for key, value in data.items():
        if value is None:
            value = False if key == "is_primary" else ""
        setattr(contact, key, value.strip() if isinstance(value, str) else value)
    errors: dict[str, list[str]] = {}
    if not contact.name:
        errors["name"] = [_("请填写联系人姓名。")]
    if contact.phone:
        try:
            contact.phone = phone_normalize(contact.phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if contact.email:
        contact.email = contact.email.lower()
        try:
            validate_email(contact.email)
        except ValidationError:
            errors["email"] = [_("“%(email)s”不是有效的邮箱地址。") % {"email": contact.email}]
    try:
        # The one constraint (one primary contact) is on the excluded customer.
        contact.full_clean(
            exclude=["customer", "phone", "email", "name", "version"], validate_constraints=False
        )
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return contact


def contact_text(contact: Contact | None) -> str:
    """How a contact reads in the history: name / title / phone / e-mail / WeChat."""
    if contact is None:
        return ""
    parts = (contact.name, contact.title, contact.phone, contact.email, contact.wechat_id)
    return " / ".join(x for x in parts if x)


def _history(customer: Customer, actor: User | None, old: str, new: str) -> None:
    CustomerChange.objects.create(
        customer=customer,
        actor=actor,
        at=timezone.now(),
        action=ChangeAction.UPDATE,
        field="contacts",
        old_value=old,
        new_value=new,
    )


def _primary_history(customer: Customer, actor: User | None, old: str, new: str) -> None:
    if old != new:
        CustomerChange.objects.create(
            customer=customer,
            actor=actor,
            at=timezone.now(),
            action=ChangeAction.UPDATE,
            field="primary_contact",
            old_value=old,
            new_value=new,
        )


def _current_primary(customer: Customer, exclude: int | None = None) -> Contact | None:
    rows = Contact.objects.filter(customer=customer, is_primary=True)
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    return rows.first()


def _demote_others(customer: Customer, keep: int | None) -> None:
    rows = Contact.objects.filter(customer=customer, is_primary=True)
    if keep is not None:
        rows = rows.exclude(pk=keep)
    rows.update(is_primary=False, version=F("version") + 1, updated_at=timezone.now())


def _touch(customer: Customer, actor: User) -> None:
    Customer.objects.filter(pk=customer.pk).update(updated_at=timezone.now(), updated_by=actor)
    search_index_customer(customer)


def _check_write(actor: User, customer: Customer) -> None:
    if not can_write(actor, customer) or customer.deleted_at is not None:
        raise PermissionDenied


def _conflict(contact_id: int) -> ConflictError:
    current = Contact.objects.filter(pk=contact_id).first()
    if current is None:
        return ConflictError(_("该联系人已被删除，您的修改未保存。"), details={"deleted": True})
    when = timezone.localtime(current.updated_at).strftime("%Y-%m-%d %H:%M:%S")
    return ConflictError(
        _("该联系人已于 %(when)s 被他人修改。您的修改尚未保存：请核对最新内容后再提交。")
        % {"when": when},
        details={"current_version": current.version, "updated_at": when},
    )


def _locked(contact: Contact, version: int | None) -> Contact:
    """The contact as stored now, locked for the change; ``ConflictError`` when it
    changed (or went) since ``version``."""
    current = Contact.objects.select_for_update().filter(pk=contact.pk).first()
    if current is None or (version is not None and current.version != version):
        raise _conflict(contact.pk)
    return current


@transaction.atomic
def contact_add(*, actor: User, customer: Customer, data: Mapping[str, Any]) -> Contact:
    """Add a contact to ``customer``; marked primary, it takes over from the old one."""
    _check_write(actor, customer)
    if Contact.objects.filter(customer=customer).count() >= MAX_CONTACTS:
        raise ValidationError(_("一个客户最多 %(n)d 位联系人。") % {"n": MAX_CONTACTS})
    contact = contact_build(customer, data)
    previous = _current_primary(customer) if contact.is_primary else None
    if contact.is_primary:
        _demote_others(customer, keep=None)
    contact.save()
    _history(customer, actor, "", contact_text(contact))
    if contact.is_primary:
        _primary_history(customer, actor, contact_text(previous), contact_text(contact))
    _touch(customer, actor)
    return contact


@transaction.atomic
def contact_update(
    *,
    actor: User,
    contact: Contact,
    data: Mapping[str, Any],
    version: int | None,
) -> Contact:
    """Change a contact. ``version`` is the one the actor read (``None``: no check,
    for callers that hold no version, like the old ``contact_save``)."""
    customer = contact.customer
    _check_write(actor, customer)
    current = _locked(contact, version)
    before = contact_text(current)
    was_primary = current.is_primary
    previous = _current_primary(customer, exclude=current.pk)
    saved = contact_build(customer, data, current)
    if saved.is_primary and not was_primary:
        _demote_others(customer, keep=saved.pk)
    saved.version += 1
    saved.save()
    after = contact_text(saved)
    if before != after:
        _history(customer, actor, before, after)
    if saved.is_primary and not was_primary:
        _primary_history(customer, actor, contact_text(previous), after)
    elif was_primary and not saved.is_primary:
        _primary_history(customer, actor, before, "")
    _touch(customer, actor)
    return saved


@transaction.atomic
def contact_make_primary(*, actor: User, contact: Contact, version: int | None) -> Contact:
    """Make ``contact`` its customer's primary contact (the old one stops being it)."""
    return contact_update(actor=actor, contact=contact, data={"is_primary": True}, version=version)


@transaction.atomic
def contact_delete(*, actor: User, contact: Contact, version: int | None = None) -> None:
    """Remove a contact; with ``version``, refused when it changed since."""
    customer = contact.customer
    _check_write(actor, customer)
    current = _locked(contact, version)
    text = contact_text(current)
    current.delete()
    _history(customer, actor, text, "")
    if current.is_primary:
        _primary_history(customer, actor, text, "")
    _touch(customer, actor)


def access_contact(user: User, contact_id: object, *, write: bool = False) -> Contact:
    """The contact if ``user`` may see its customer and its contact data (and change
    it, with ``write``): ``Http404`` otherwise, as for an id that does not exist;
    ``PermissionDenied`` when it is visible but read-only to this user."""
    try:
        pk = int(str(contact_id))
    except (TypeError, ValueError):
        raise Http404 from None
    if not 1 <= pk <= 2**63 - 1:
        raise Http404
    customer_id = Contact.objects.filter(pk=pk).values_list("customer_id", flat=True).first()
    if customer_id is None:
        raise Http404
    customer = access_customer(user, customer_id)
    if contact_data_hidden(user, customer):
        raise Http404
    if write and not can_write(user, customer):
        raise PermissionDenied
    contact = Contact.objects.filter(pk=pk, customer=customer).first()
    if contact is None:
        raise Http404
    contact.customer = customer
    return contact


def contacts_of(customer: Customer) -> list[Contact]:
    """The customer's contacts, the primary one first."""
    return list(Contact.objects.filter(customer=customer).order_by("-is_primary", "id"))
