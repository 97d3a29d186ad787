"""Customer pages: thin views over selectors, services and access helpers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.models import Role, User
from kehu.accounts.selectors import request_actor, teams_visible_to, users_assignable_by
from kehu.core.errors import ConflictError
from kehu.core.forms import add_service_errors, keep_input_after_conflict
from kehu.customers.access import (
    access_customer,
    can_create,
    can_log_interaction,
    can_reassign,
    can_restore,
    can_write,
    contact_data_hidden,
    hides_pool_contact_data,
)
from kehu.customers.audiences import audience_for
from kehu.customers.contact_views import contacts_card_context
from kehu.customers.duplicates import DuplicateError
from kehu.customers.forms import CustomerForm, TransferForm
from kehu.customers.models import Customer, CustomerKind, SourceChannel, Tag
from kehu.customers.selectors import (
    CustomerFilters,
    PageOutOfRange,
    custom_field_definitions,
    customer_changes,
    customer_detail,
    customer_filters_from,
    customer_list,
    duplicate_pairs,
    merges_of,
    owner_changes,
)
from kehu.customers.services import (
    customer_create,
    customer_delete,
    customer_restore,
    customer_update,
)
from kehu.customers.timeline import Cursor, customer_timeline, timeline_kinds


def int_param(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _filters(request: HttpRequest) -> CustomerFilters:
    return customer_filters_from(request.GET)


@login_required
def customer_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    filters = _filters(request)
    try:
        page = customer_list(actor, filters, page=int_param(request.GET.get("page")) or 1)
    except PageOutOfRange:
        raise Http404(_("没有这一页。")) from None
    context = {
        "page": page,
        "filters": filters,
        "can_create": can_create(actor),
        "may_reassign": can_reassign(actor),
        "owners": users_assignable_by(actor) if not actor.is_read_only else [],
        "teams": teams_visible_to(actor),
        "tags": Tag.objects.all(),
        "sources": [c for c in SourceChannel.choices if c[0]],
        "hide_pool_contacts": hides_pool_contact_data(actor),
        "kinds": CustomerKind.choices,
        "audience": audience_for(actor, "segment", filters.segment) if filters.segment else None,
        "winback": audience_for(actor, "winback", filters.winback) if filters.winback else None,
    }
    template = (
        "customers/list.html#results" if getattr(request, "htmx", False) else "customers/list.html"
    )
    return render(request, template, context)


@login_required
def customer_detail_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = request_actor(request)
    customer = access_customer(actor, customer_id, include_deleted=True)
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer_detail(customer),
            "changes": customer_changes(customer, viewer=actor),
            "definitions": custom_field_definitions(),
            "hidden": contact_data_hidden(actor, customer),
            "can_write": can_write(actor, customer) and not customer.is_deleted,
            "can_restore": customer.is_deleted and can_restore(actor),
            **_ownership_context(actor, customer),
            **_activity_context(actor, customer),
            **contacts_card_context(actor, customer),
        },
    )


def _activity_context(actor: User, customer: Customer) -> dict[str, object]:
    """Whether the viewer may log touches here, and the timeline's kinds. The orders,
    the quick forms and the open follow-ups come from their apps' template tags
    (``order_tags``, ``interaction_tags``, ``followup_tags``), as the other cards do."""
    return {
        "can_log": can_log_interaction(actor, customer),
        "timeline_kinds": timeline_kinds(),
    }


@login_required
def customer_timeline_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    """One page of the timeline (htmx partial): newest first, filter by kind."""
    actor = request_actor(request)
    customer = access_customer(actor, customer_id, include_deleted=True)
    kinds = [k for k in request.GET.getlist("kind") if k] or None
    page = customer_timeline(
        customer,
        viewer=actor,
        kinds=kinds,
        cursor=Cursor.decode(request.GET.get("before")),
        limit=20,
    )
    return render(
        request,
        "customers/_timeline.html",
        {"customer": customer, "page": page, "kinds": kinds or []},
    )


def _ownership_context(actor: User, customer: Customer) -> dict[str, object]:
    alive = not customer.is_deleted
    may_reassign = alive and can_reassign(actor)
    return {
        "owner_history": owner_changes(customer),
        "can_claim": alive
        and customer.owner_id is None
        and (actor.role in (Role.SALES, Role.MANAGER) or actor.is_admin_role),
        "can_release": alive and customer.owner_id is not None and can_write(actor, customer),
        "transfer_form": TransferForm(actor=actor) if may_reassign else None,
        "duplicates": list(duplicate_pairs(actor, customer_id=customer.pk)[:10]) if alive else [],
        "merges": merges_of(customer),
        "can_undo_merge": can_restore(actor),
    }


@login_required
def customer_create_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    if not can_create(actor):
        raise Http404
    form = CustomerForm(
        request.POST or None,
        initial={"referral_code": request.GET.get("referral_code", "")[:12]},
        actor=actor,
        definitions=custom_field_definitions(),
    )
    duplicates = None
    if request.method == "POST" and form.is_valid():
        try:
            customer = customer_create(
                actor=actor,
                allow_duplicate=request.POST.get("allow_duplicate") == "1",
                **form.service_arguments(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except DuplicateError as error:
            duplicates = error  # shown above the form, with "create anyway" if allowed
        else:
            messages.success(request, _("客户已创建。"))
            return redirect("customers:detail", customer_id=customer.pk)
    return render(
        request,
        "customers/form.html",
        {"form": form, "customer": None, "duplicates": duplicates},
        status=422 if form.errors else 200,
    )


@login_required
def customer_edit_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = request_actor(request)
    customer = access_customer(actor, customer_id, write=True)
    form = CustomerForm(
        request.POST or None, instance=customer, actor=actor, definitions=custom_field_definitions()
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            customer_update(
                actor=actor,
                customer=customer,
                version=form.cleaned_data.get("version") or 0,
                **form.service_arguments(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except ConflictError as error:
            conflict = error
            keep_input_after_conflict(form, request.POST, error)
        else:
            messages.success(request, _("已保存。"))
            return redirect("customers:detail", customer_id=customer.pk)
    return render(
        request,
        "customers/form.html",
        {
            "form": form,
            "customer": customer,
            "conflict": conflict,
            "current": customer_detail(customer) if conflict else None,
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def customer_delete_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = request_actor(request)
    customer = access_customer(actor, customer_id, write=True)
    customer_delete(actor=actor, customer=customer)
    messages.success(request, _("客户已删除，管理员可以恢复。"))
    return redirect("customers:list")


@login_required
@require_POST
def customer_restore_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = request_actor(request)
    customer = access_customer(actor, customer_id, include_deleted=True)
    if not can_restore(actor):
        raise Http404
    customer_restore(actor=actor, customer=customer)
    messages.success(request, _("客户已恢复。"))
    return redirect("customers:detail", customer_id=customer.pk)
