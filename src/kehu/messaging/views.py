"""Group sends (群发): list, new (preview, then send), progress; templates; consent;
the public unsubscribe page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kehu.accounts.selectors import request_actor
from kehu.core.errors import KehuError
from kehu.core.forms import add_service_errors
from kehu.customers.access import access_customer
from kehu.messaging.access import (
    access_campaign,
    can_change_consent,
    can_change_template,
    can_send_any,
)
from kehu.messaging.audience import send_scope
from kehu.messaging.forms import CampaignForm, ConsentForm, TemplateForm
from kehu.messaging.links import unsubscribe_read
from kehu.messaging.models import ConsentSource, RecipientStatus
from kehu.messaging.selectors import (
    campaign_progress,
    campaign_recipients,
    campaigns_visible_to,
    templates_for,
)
from kehu.messaging.services import (
    campaign_cancel,
    campaign_create,
    campaign_preview,
    consent_set,
    template_delete,
    template_save,
    unsubscribe,
)
from kehu.messaging.templatetags.messaging_cards import consent_card_context


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page") or "1"
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1


@login_required
def campaigns_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    page = Paginator(campaigns_visible_to(actor), 25).get_page(_page_number(request))
    context = {"page": page, "may_send": can_send_any(actor)}
    return render(request, "messaging/campaigns.html", context)


@login_required
def campaign_new_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    if not can_send_any(actor):
        raise PermissionDenied
    form = CampaignForm(request.POST or None, initial=request.GET.dict(), user=actor)
    preview = None
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("action") == "send":
                campaign = campaign_create(
                    actor=actor,
                    name=form.cleaned_data["name"],
                    audience=form.audience(),
                    template=form.cleaned_data.get("template"),
                    **form.message(),
                )
                messages.success(request, _("群发已开始。"))
                return redirect("messaging:detail", campaign.pk)
            preview = campaign_preview(actor=actor, audience=form.audience(), **form.message())
        except (ValidationError, KehuError) as error:
            add_service_errors(form, error)
    status = 422 if request.method == "POST" and form.errors else 200
    context = {"form": form, "preview": preview, "scope": send_scope(actor)}
    return render(request, "messaging/campaign_new.html", context, status=status)


@login_required
def campaign_detail_view(request: HttpRequest, campaign_id: int) -> HttpResponse:
    actor = request_actor(request)
    campaign = access_campaign(actor, campaign_id)
    progress = campaign_progress(campaign)
    if request.headers.get("HX-Request") and request.GET.get("part") == "progress":
        context = {"campaign": campaign, "progress": progress}
        return render(request, "messaging/campaign_detail.html#progress", context)
    status = request.GET.get("status", "")
    page = campaign_recipients(campaign, status=status, page=_page_number(request))
    context = {
        "campaign": campaign,
        "progress": progress,
        "page": page,
        "status": status,
        "statuses": RecipientStatus.choices,
        "may_cancel": actor.is_admin_role or campaign.created_by_id == actor.pk,
    }
    return render(request, "messaging/campaign_detail.html", context)


@login_required
@require_POST
def campaign_cancel_view(request: HttpRequest, campaign_id: int) -> HttpResponse:
    actor = request_actor(request)
    campaign = access_campaign(actor, campaign_id)
    try:
        stopped = campaign_cancel(actor=actor, campaign=campaign)
    except KehuError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已取消，%(n)d 条未发送。") % {"n": stopped})
    return redirect("messaging:detail", campaign.pk)


@login_required
def templates_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    if not can_send_any(actor):
        raise PermissionDenied
    page = Paginator(templates_for(actor), 25).get_page(_page_number(request))
    for template in page.object_list:
        template.may_change = can_change_template(actor, template)  # type: ignore[attr-defined]
    return render(request, "messaging/templates.html", {"page": page})


@login_required
def template_edit_view(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    """A template's page: its author, the author's team manager and admins change it;
    everyone else who may send reads it (and uses it from the group-send page)."""
    actor = request_actor(request)
    if not can_send_any(actor):
        raise PermissionDenied
    template = get_object_or_404(templates_for(actor), pk=template_id) if template_id else None
    may_change = template is None or can_change_template(actor, template)
    if request.method == "POST" and not may_change:
        raise PermissionDenied
    form = TemplateForm(request.POST or None, instance=template, read_only=not may_change)
    if request.method == "POST" and form.is_valid():
        try:
            template_save(actor=actor, template=template, **form.cleaned_data)
        except (ValidationError, KehuError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("模板已保存。"))
            return redirect("messaging:templates")
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "template": template, "may_change": may_change}
    return render(request, "messaging/template_form.html", context, status=status)


@login_required
@require_POST
def template_delete_view(request: HttpRequest, template_id: int) -> HttpResponse:
    actor = request_actor(request)
    if not can_send_any(actor):
        raise PermissionDenied
    template = get_object_or_404(templates_for(actor), pk=template_id)
    if not can_change_template(actor, template):
        raise PermissionDenied
    template_delete(actor=actor, template=template)
    messages.success(request, _("模板已删除。"))
    return redirect("messaging:templates")


@login_required
@require_POST
def consent_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Grant or withdraw consent on a channel (the customer card's buttons, htmx)."""
    actor = request_actor(request)
    customer = access_customer(actor, customer_id)
    if not can_change_consent(actor, customer):
        raise PermissionDenied
    form = ConsentForm(request.POST)
    error = ""
    if not form.is_valid():
        error = _("请求无效。")
    else:
        try:
            consent_set(
                actor=actor, customer=customer, source=ConsentSource.FORM, **form.cleaned_data
            )
        except (ValidationError, KehuError) as failure:
            texts = getattr(failure, "messages", [])
            error = getattr(failure, "message", "") or _("；").join(texts)
    context = consent_card_context(actor, customer) | {"error": error}
    return render(request, "messaging/_consent_card.html", context, status=409 if error else 200)


@csrf_exempt  # the customer's mail client posts here (RFC 8058 one-click); the token is the key
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    """Public: no login. GET asks to confirm (link scanners must not unsubscribe
    anyone), POST withdraws consent for the link's channel."""
    found = unsubscribe_read(token)
    if found is None:
        return render(request, "messaging/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        unsubscribe(token)
    context = {"customer": found[0], "channel": found[1], "done": request.method == "POST"}
    return render(request, "messaging/unsubscribe.html", context)
