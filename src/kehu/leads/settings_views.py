"""The lead settings page (admins): how new leads are assigned, the pool's rules, the
disqualification reasons, the region routes, and the snippet that embeds the form."""

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
from kehu.core.errors import KehuError
from kehu.core.forms import add_service_errors
from kehu.leads.access import can_edit_lead_settings
from kehu.leads.assignment import (
    lead_settings,
    lead_settings_update,
    region_route_delete,
    region_route_save,
)
from kehu.leads.forms import ReasonForm, RouteForm, SettingsForm
from kehu.leads.models import DisqualifyReason, RegionRoute
from kehu.leads.services import reason_save


def _admin(request: HttpRequest) -> User:
    actor = request_actor(request)
    if not can_edit_lead_settings(actor):
        raise PermissionDenied
    return actor


def _context(request: HttpRequest, **forms: Any) -> dict[str, Any]:
    current = lead_settings()
    initial = {
        "mode": current.mode,
        "team": current.team_id,
        "reclaim_days": current.reclaim_days,
        "reclaim_block_days": current.reclaim_block_days,
        "claim_cap": current.claim_cap,
        "version": current.version,
    }
    embed_url = request.build_absolute_uri(reverse("leads:public_embed")) + "?channel=website"
    return {
        "settings_form": forms.get("settings_form") or SettingsForm(initial=initial),
        "reason_form": forms.get("reason_form") or ReasonForm(),
        "route_form": forms.get("route_form") or RouteForm(),
        "reasons": DisqualifyReason.objects.all(),
        "routes": RegionRoute.objects.select_related("user"),
        "form_url": request.build_absolute_uri(reverse("leads:public_form")),
        "embed_snippet": (
            f'<iframe src="{embed_url}" title="lead form" '
            'style="width:100%;max-width:480px;height:640px;border:0" loading="lazy"></iframe>'
        ),
    }


@login_required
def settings_view(request: HttpRequest) -> HttpResponse:
    actor = _admin(request)
    form = SettingsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lead_settings_update(
                actor=actor, data=form.service_data(), version=form.cleaned_data["version"]
            )
        except (ValidationError, KehuError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("线索分配规则已保存。"))
            return redirect("leads:settings")
    status = 422 if form.errors else 200
    context = _context(request, settings_form=form if request.method == "POST" else None)
    return render(request, "leads/settings.html", context, status=status)


@login_required
@require_POST
def reason_add_view(request: HttpRequest) -> HttpResponse:
    actor = _admin(request)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            reason_save(actor=actor, name=form.cleaned_data["name"])
        except ValidationError as error:
            add_service_errors(form, error)
    if form.errors:
        return render(
            request, "leads/settings.html", _context(request, reason_form=form), status=422
        )
    return redirect("leads:settings")


@login_required
@require_POST
def reason_toggle_view(request: HttpRequest, reason_id: int) -> HttpResponse:
    actor = _admin(request)
    reason = DisqualifyReason.objects.filter(pk=reason_id).first()
    if reason is None:
        raise Http404
    reason_save(actor=actor, name=reason.name, reason=reason, is_active=not reason.is_active)
    return redirect("leads:settings")


@login_required
@require_POST
def route_add_view(request: HttpRequest) -> HttpResponse:
    actor = _admin(request)
    form = RouteForm(request.POST)
    if form.is_valid():
        try:
            region_route_save(actor=actor, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
    if form.errors:
        return render(
            request, "leads/settings.html", _context(request, route_form=form), status=422
        )
    return redirect("leads:settings")


@login_required
@require_POST
def route_delete_view(request: HttpRequest, route_id: int) -> HttpResponse:
    actor = _admin(request)
    route = RegionRoute.objects.filter(pk=route_id).first()
    if route is None:
        raise Http404
    region_route_delete(actor=actor, route=route)
    return redirect("leads:settings")
