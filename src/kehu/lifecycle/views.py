"""The lifecycle card on the customer page: manual moves and flags (htmx partials)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.selectors import request_actor
from kehu.core.errors import KehuError
from kehu.customers.access import access_customer
from kehu.lifecycle.models import Flag
from kehu.lifecycle.services import flag_set, model_find, stage_find, stage_move
from kehu.lifecycle.templatetags.lifecycle_cards import card_context


def _card(request: HttpRequest, customer_id: int, error: str = "") -> HttpResponse:
    actor = request_actor(request)
    customer = access_customer(actor, customer_id)
    if not getattr(request, "htmx", False) and not error:
        return redirect("customers:detail", customer.pk)
    context = card_context(actor, customer, error=error)
    return render(request, "lifecycle/_customer_card.html", context, status=422 if error else 200)


@login_required
def customer_card_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    return _card(request, customer_id)


@login_required
@require_POST
def stage_move_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = request_actor(request)
    customer = access_customer(actor, customer_id, write=True)
    try:
        model = model_find(request.POST.get("model", ""))
        stage = stage_find(model, request.POST.get("stage", ""))
        reason = request.POST.get("reason", "")
        stage_move(actor=actor, customer=customer, model=model, stage=stage, reason=reason)
    except ValidationError as error:
        return _card(request, customer_id, _("；").join(error.messages))
    except KehuError as error:
        return _card(request, customer_id, error.message)
    return _card(request, customer_id)


@login_required
@require_POST
def customer_flags_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = request_actor(request)
    customer = access_customer(actor, customer_id, write=True)
    flag = Flag.objects.filter(key=request.POST.get("flag", "")).first()
    if flag is not None:
        try:
            flag_set(actor=actor, customer=customer, flag=flag, on=request.POST.get("on") == "1")
        except ValidationError as error:
            return _card(request, customer_id, "；".join(error.messages))
    return _card(request, customer_id)
