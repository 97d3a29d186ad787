"""Log an interaction from the customer page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.selectors import request_actor
from kehu.core.forms import add_service_errors
from kehu.customers.access import access_customer, can_log_interaction
from kehu.interactions.forms import InteractionForm
from kehu.interactions.services import interaction_log


@login_required
@require_POST
def interaction_create_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = request_actor(request)
    customer = access_customer(actor, customer_id)
    if not can_log_interaction(actor, customer):
        raise PermissionDenied
    form = InteractionForm(request.POST, customer=customer)
    if form.is_valid():
        try:
            interaction_log(actor=actor, customer=customer, **form.service_arguments())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已记录跟进。"))
            return redirect(reverse("customers:detail", args=[customer.pk]) + "#timeline")
    return render(
        request, "interactions/form.html", {"form": form, "customer": customer}, status=422
    )
