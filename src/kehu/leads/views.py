"""Lead pages: the list, the pool, a lead with its attempts and verification, the
create and edit form, and the actions (attempt, verify, qualify, convert, claim,
release). Thin: access helpers, selectors, services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.models import User
from kehu.accounts.selectors import request_actor, users_assignable_by
from kehu.core.errors import ConflictError, KehuError
from kehu.core.forms import add_service_errors
from kehu.customers.access import contact_data_hidden
from kehu.customers.duplicates import DuplicateError
from kehu.customers.phones import phone_display
from kehu.customers.selectors import PageOutOfRange
from kehu.customers.views import int_param
from kehu.leads import selectors
from kehu.leads.access import (
    access_lead,
    can_assign_leads,
    can_change_lead,
    can_claim_lead,
    can_create_lead,
)
from kehu.leads.assignment import lead_assign, lead_pool_claim, lead_release
from kehu.leads.conversion import lead_convert
from kehu.leads.forms import AttemptForm, LeadFilterForm, LeadForm, QualifyForm
from kehu.leads.models import Lead, LeadStatus
from kehu.leads.services import (
    BY_RULE,
    attempt_log,
    lead_create,
    lead_qualify,
    lead_update,
    lead_verify,
)
from kehu.leads.verification import phone_verdict


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _list(request: HttpRequest, *, pool: bool) -> HttpResponse:
    actor = request_actor(request)
    form = LeadFilterForm(request.GET or None)
    filters = form.filters()
    if pool:
        filters = selectors.LeadFilters(
            q=filters.q, source_channel=filters.source_channel, pool=True
        )
    try:
        page = selectors.lead_list(actor, filters, page=int_param(request.GET.get("page")) or 1)
    except PageOutOfRange:
        raise Http404(_("没有这一页。")) from None
    template = "leads/list.html#results" if _htmx(request) else "leads/list.html"
    context = {
        "page": page,
        "form": form,
        "pool": pool,
        "can_create": can_create_lead(actor),
        "can_claim": can_claim_lead(actor),
        "hide_phones": pool and contact_data_hidden(actor, Lead()),
    }
    return render(request, template, context)


@login_required
def lead_list_view(request: HttpRequest) -> HttpResponse:
    return _list(request, pool=False)


@login_required
def lead_pool_view(request: HttpRequest) -> HttpResponse:
    return _list(request, pool=True)


def _detail_context(actor: User, lead: Lead, **extra: Any) -> dict[str, Any]:
    writable = can_change_lead(actor, lead)
    hidden = contact_data_hidden(actor, lead)
    return {
        "lead": lead,
        "phone": "" if hidden else phone_display(lead.phone),
        "phone_hidden": hidden,
        "verdict": phone_verdict(lead.phone, lead.province),
        "can_change": writable,
        "can_claim": lead.owner_id is None and can_claim_lead(actor) and lead.is_open,
        "can_assign": can_assign_leads(actor) and lead.is_open,
        "assignees": list(users_assignable_by(actor)) if can_assign_leads(actor) else [],
        "attempts": selectors.lead_attempts(lead),
        "history": selectors.lead_history(lead),
        "attempt_form": extra.get("attempt_form") or AttemptForm(),
        "qualify_form": extra.get("qualify_form") or QualifyForm(initial={"version": lead.version}),
        "found": extra.get("found"),
        "duplicate": extra.get("duplicate"),
        "convertible": writable and lead.status == LeadStatus.QUALIFIED,
    }


@login_required
def lead_detail_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    actor = request_actor(request)
    lead = access_lead(actor, lead_id)
    return render(request, "leads/detail.html", _detail_context(actor, lead))


@login_required
def lead_create_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    if not can_create_lead(actor):
        raise PermissionDenied
    form = LeadForm(request.POST or None, actor=actor)
    by_rule = request.POST.get("by_rule") == "on" and can_assign_leads(actor)
    if request.method == "POST" and form.is_valid():
        try:
            lead, _created = lead_create(
                actor=actor, data=form.service_data(), owner=BY_RULE if by_rule else actor
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("线索已创建。"))
            return redirect("leads:detail", lead_id=lead.pk)
    context = {"form": form, "lead": None, "can_route": can_assign_leads(actor)}
    return render(request, "leads/form.html", context, status=422 if form.errors else 200)


@login_required
def lead_edit_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    actor = request_actor(request)
    lead = access_lead(actor, lead_id, write=True)
    initial = {
        **{f: getattr(lead, f) for f in ("name", "company", "province", "city", "notes")},
        "phone": phone_display(lead.phone),
        "source_channel": lead.source_channel,
        "campaign": lead.campaign_id,
        "version": lead.version,
    }
    form = LeadForm(
        request.POST or None, initial=initial, actor=actor, current_campaign=lead.campaign_id
    )
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            lead_update(
                actor=actor, lead=lead, data=data, version=form.cleaned_data["version"] or 0
            )
        except (ValidationError, KehuError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("线索已保存。"))
            return redirect("leads:detail", lead_id=lead.pk)
    context = {"form": form, "lead": lead, "can_route": False}
    return render(request, "leads/form.html", context, status=422 if form.errors else 200)


def _redo(request: HttpRequest, actor: User, lead: Lead, **extra: Any) -> HttpResponse:
    return render(request, "leads/detail.html", _detail_context(actor, lead, **extra), status=422)


@login_required
@require_POST
def attempt_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    actor = request_actor(request)
    lead = access_lead(actor, lead_id, write=True)
    form = AttemptForm(request.POST)
    if form.is_valid():
        try:
            attempt_log(actor=actor, lead=lead, **form.cleaned_data)
        except (ValidationError, KehuError) as error:
            add_service_errors(form, error)
    if form.errors:
        return _redo(request, actor, lead, attempt_form=form)
    messages.success(request, _("联系记录已保存。"))
    return redirect("leads:detail", lead_id=lead.pk)


@login_required
@require_POST
def verify_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    actor = request_actor(request)
    lead = access_lead(actor, lead_id, write=True)
    found = lead_verify(actor=actor, lead=lead)
    return render(request, "leads/detail.html", _detail_context(actor, lead, found=found))


@login_required
@require_POST
def qualify_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    actor = request_actor(request)
    lead = access_lead(actor, lead_id, write=True)
    form = QualifyForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            lead_qualify(
                actor=actor,
                lead=lead,
                qualified=data["decision"] == "qualified",
                reason=data["reason"],
                note=data["note"],
                version=data["version"],
            )
        except (ValidationError, KehuError) as error:
            add_service_errors(form, error)
    if form.errors:
        return _redo(request, actor, lead, qualify_form=form)
    messages.success(request, _("判定已保存。"))
    return redirect("leads:detail", lead_id=lead.pk)


@login_required
@require_POST
def convert_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    actor = request_actor(request)
    lead = access_lead(actor, lead_id, write=True)
    opportunity = None
    if request.POST.get("with_opportunity") == "on":
        opportunity = {
            "amount": request.POST.get("opportunity_amount", ""),
            "expected_close_date": request.POST.get("opportunity_close", ""),
        }
    try:
        done = lead_convert(
            actor=actor,
            lead=lead,
            allow_duplicate=request.POST.get("allow_duplicate") == "on",
            opportunity=opportunity,
        )
    except DuplicateError as error:
        return _redo(request, actor, lead, duplicate=error)
    except (ValidationError, KehuError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect("leads:detail", lead_id=lead.pk)
    messages.success(request, _("线索已转化为客户。"))
    if done.opportunity is not None:
        return redirect("pipeline:detail", opportunity_id=done.opportunity.pk)
    return redirect("customers:detail", customer_id=done.customer.pk)


@login_required
@require_POST
def claim_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    actor = request_actor(request)
    lead = access_lead(actor, lead_id)
    try:
        lead_pool_claim(actor=actor, lead_id=lead.pk)
    except KehuError as error:
        messages.error(request, error.message)
        return redirect("leads:pool")
    messages.success(request, _("已领取线索。"))
    return redirect("leads:detail", lead_id=lead.pk)


@login_required
@require_POST
def release_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    actor = request_actor(request)
    lead = access_lead(actor, lead_id, write=True)
    try:
        lead_release(actor=actor, lead=lead, reason=request.POST.get("reason", ""))
    except (ValidationError, KehuError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect("leads:detail", lead_id=lead.pk)
    messages.success(request, _("线索已退回线索池。"))
    return redirect("leads:pool")


@login_required
@require_POST
def assign_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    actor = request_actor(request)
    lead = access_lead(actor, lead_id)
    if not can_assign_leads(actor):
        raise PermissionDenied
    target_id = int_param(request.POST.get("owner"))
    target = users_assignable_by(actor).filter(pk=target_id).first() if target_id else None
    try:
        lead_assign(actor=actor, lead=lead, to_user=target)
    except (ValidationError, ConflictError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, _("线索已分配。"))
    return redirect("leads:detail", lead_id=lead.pk)
