"""The contacts card on the customer page: add, edit, remove, mark primary.

Every action posts a small form; an htmx request gets the card back (errors in
place, status 422), a plain request a redirect to the customer page (or, on an
error, the card alone on a page of its own)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.models import User
from kehu.accounts.selectors import request_actor
from kehu.core.errors import ConflictError
from kehu.core.forms import add_service_errors, keep_input_after_conflict
from kehu.customers.access import access_customer, can_write, contact_data_hidden
from kehu.customers.contact_forms import ContactForm
from kehu.customers.contacts import (
    access_contact,
    contact_add,
    contact_delete,
    contact_make_primary,
    contact_update,
    contacts_of,
)
from kehu.customers.models import Contact, Customer
from kehu.customers.selectors import customer_changes


def contacts_card_context(
    actor: User,
    customer: Customer,
    *,
    new_form: ContactForm | None = None,
    edit_form: ContactForm | None = None,
    conflict: ConflictError | None = None,
) -> dict[str, Any]:
    """What ``customers/_contacts.html`` needs (also the customer page's card)."""
    hidden = contact_data_hidden(actor, customer)
    contacts = [] if hidden else contacts_of(customer)
    editable = not hidden and can_write(actor, customer) and not customer.is_deleted
    editing = edit_form.contact.pk if edit_form is not None and edit_form.contact else None
    rows = []
    for c in contacts:
        form = edit_form if c.pk == editing else (ContactForm(contact=c) if editable else None)
        rows.append({"contact": c, "form": form, "open": c.pk == editing})
    return {
        "customer": customer,
        "contacts_hidden": hidden,
        "contact_rows": rows,
        "contacts_editable": editable,
        "contact_new_form": new_form or (ContactForm() if editable else None),
        "contact_new_open": new_form is not None,
        "contact_conflict": conflict,
    }


def _card(request: HttpRequest, actor: User, customer: Customer, **kwargs: Any) -> HttpResponse:
    context = contacts_card_context(actor, customer, **kwargs)
    failed = any(kwargs.get(k) is not None for k in ("new_form", "edit_form", "conflict"))
    status = 422 if failed else 200
    if getattr(request, "htmx", False):
        # The change history card follows (out of band): contact changes are in it.
        context.update(history_oob=True, changes=customer_changes(customer, viewer=actor))
        return render(request, "customers/_contacts.html", context, status=status)
    if failed:
        return render(request, "customers/contacts.html", context, status=status)
    return redirect(reverse("customers:detail", args=[customer.pk]) + "#contacts")


def _done(request: HttpRequest, actor: User, customer: Customer, message: str) -> HttpResponse:
    if not getattr(request, "htmx", False):
        messages.success(request, message)
    return _card(request, actor, customer)


@login_required
def contacts_card_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The card alone (htmx refresh, or a page of its own without JavaScript)."""
    actor = request_actor(request)
    customer = access_customer(actor, customer_id)
    context = contacts_card_context(actor, customer)
    if getattr(request, "htmx", False):
        return render(request, "customers/_contacts.html", context)
    return render(request, "customers/contacts.html", context)


@login_required
@require_POST
def contact_add_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = request_actor(request)
    customer = access_customer(actor, customer_id)
    if contact_data_hidden(actor, customer):
        raise Http404
    if not can_write(actor, customer):
        raise PermissionDenied
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            contact_add(actor=actor, customer=customer, data=form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _done(request, actor, customer, _("联系人已添加。"))
    return _card(request, actor, customer, new_form=form)


def _contact_for_write(request: HttpRequest, customer_id: int, contact_id: int) -> Contact:
    contact = access_contact(request_actor(request), contact_id, write=True)
    if contact.customer_id != customer_id:
        raise Http404
    return contact


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@login_required
@require_POST
def contact_edit_view(request: HttpRequest, customer_id: int, contact_id: int) -> HttpResponse:
    actor = request_actor(request)
    contact = _contact_for_write(request, customer_id, contact_id)
    form = ContactForm(request.POST, contact=contact)
    if form.is_valid():
        try:
            contact_update(
                actor=actor,
                contact=contact,
                data=form.service_data(),
                version=form.cleaned_data.get("version") or 0,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except ConflictError as error:
            add_service_errors(form, error)
            keep_input_after_conflict(form, request.POST, error)
            if error.details.get("deleted"):
                return _card(request, actor, contact.customer, conflict=error)
        else:
            return _done(request, actor, contact.customer, _("联系人已保存。"))
    return _card(request, actor, contact.customer, edit_form=form)


@login_required
@require_POST
def contact_primary_view(request: HttpRequest, customer_id: int, contact_id: int) -> HttpResponse:
    actor = request_actor(request)
    contact = _contact_for_write(request, customer_id, contact_id)
    try:
        contact_make_primary(actor=actor, contact=contact, version=_version(request))
    except ConflictError as error:
        return _card(request, actor, contact.customer, conflict=error)
    return _done(request, actor, contact.customer, _("已设为主要联系人。"))


@login_required
@require_POST
def contact_delete_view(request: HttpRequest, customer_id: int, contact_id: int) -> HttpResponse:
    actor = request_actor(request)
    contact = _contact_for_write(request, customer_id, contact_id)
    try:
        contact_delete(actor=actor, contact=contact, version=_version(request))
    except ConflictError as error:
        return _card(request, actor, contact.customer, conflict=error)
    return _done(request, actor, contact.customer, _("联系人已删除。"))
