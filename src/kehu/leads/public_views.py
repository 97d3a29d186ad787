"""The public lead form: ``/leads/form/`` (a page of its own) and
``/leads/form/embed/`` (the same form for an iframe on the business's website).

No login, so no session and no CSRF cookie: inside another site's iframe the browser
would not send a first-party cookie anyway, and nothing of a signed-in user is acted
on. The embed may be framed by any site: both the X-Frame-Options header and the
Content-Security-Policy's ``frame-ancestors`` (which browsers obey first) let it. What
guards it instead is in ``public``: honeypot, a rate limit per client kept
in the database, and the client token against double submits. ``?channel=`` and
``?campaign=`` say where the visitor came from.
"""

from __future__ import annotations

import uuid

from csp.decorators import csp_replace
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt

from kehu.accounts.client_ip import client_ip
from kehu.core.forms import add_service_errors
from kehu.customers.models import SourceChannel
from kehu.leads.forms import PublicLeadForm
from kehu.leads.public import lead_submit_public
from kehu.messaging.models import Campaign


def _origin(request: HttpRequest) -> tuple[str, int | None]:
    channel = request.GET.get("channel", SourceChannel.WEBSITE)
    if channel not in SourceChannel.values:
        channel = SourceChannel.WEBSITE
    raw = request.GET.get("campaign", "")
    campaign = int(raw) if raw.isdigit() and len(raw) < 18 else None
    if campaign is not None and not Campaign.objects.filter(pk=campaign).exists():
        campaign = None
    return channel, campaign


def _form(request: HttpRequest, *, embed: bool) -> HttpResponse:
    template = "leads/public_form.html"
    if request.method != "POST":
        form = PublicLeadForm(initial={"token": uuid.uuid4().hex})
        return render(request, template, {"form": form, "embed": embed})
    form = PublicLeadForm(request.POST)
    if not form.is_valid():
        return render(request, template, {"form": form, "embed": embed}, status=422)
    channel, campaign = _origin(request)
    data = form.cleaned_data
    try:
        done = lead_submit_public(
            data=data,
            client=client_ip(request) or "",
            client_token=data["token"],
            honeypot=data["website"],
            source_channel=channel,
            campaign_id=campaign,
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return render(request, template, {"form": form, "embed": embed}, status=422)
    if done.refused == "rate":
        context = {"form": form, "embed": embed, "throttled": True}
        return render(request, template, context, status=429)
    return render(request, template, {"thanks": True, "embed": embed})


@csrf_exempt
def public_form_view(request: HttpRequest) -> HttpResponse:
    return _form(request, embed=False)


@csrf_exempt
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
def public_embed_view(request: HttpRequest) -> HttpResponse:
    return _form(request, embed=True)
