"""Loyalty pages: the members list, a member's page (card, ledger, referrals, grant /
deduct and redeem forms), the programme's settings and the referral link."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.selectors import request_actor
from kehu.core.forms import add_service_errors
from kehu.core.paging import query_page
from kehu.customers.access import can_create
from kehu.customers.selectors import PageOutOfRange
from kehu.loyalty.access import (
    access_loyalty_customer,
    can_grant,
    can_manage_programme,
    can_redeem,
    require_programme,
)
from kehu.loyalty.forms import PROGRAMME_FORMS, PointsForm, RedeemForm, ReferrerForm
from kehu.loyalty.models import EarnRule, Gift, Level
from kehu.loyalty.referrals import referral_link
from kehu.loyalty.selectors import member_card, member_ledger, member_referrals, members_list
from kehu.loyalty.services import points_adjust, points_redeem, programme_save

PAGE_SIZE = 25


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


@login_required
def members_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    level = request.GET.get("level", "")
    q = request.GET.get("q", "")[:50]
    rows = members_list(actor, level_id=int(level) if level.isdigit() else None, q=q)
    page = query_page(rows, _page_number(request), PAGE_SIZE)
    if page is None:
        raise Http404
    context = {"page": page, "levels": Level.objects.all(), "level": level, "q": q}
    template = "loyalty/members.html#results" if request.htmx else "loyalty/members.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _member_context(request: HttpRequest, customer: Any, **forms: Any) -> dict[str, Any]:
    actor = request_actor(request)
    try:
        ledger = member_ledger(customer, page=_page_number(request), page_size=PAGE_SIZE)
    except PageOutOfRange:
        raise Http404 from None
    return {
        "customer": customer,
        "card": member_card(customer),
        "ledger": ledger,
        "referrals": member_referrals(actor, customer),
        "may_grant": can_grant(actor, customer),
        "may_redeem": can_redeem(actor, customer),
        "points_form": forms.get("points_form") or PointsForm(),
        "redeem_form": forms.get("redeem_form") or RedeemForm(),
        "referrer_form": forms.get("referrer_form") or ReferrerForm(),
    }


@login_required
def member_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = access_loyalty_customer(request_actor(request), customer_id)
    return render(request, "loyalty/member.html", _member_context(request, customer))


@login_required
@require_POST
def points_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = request_actor(request)
    customer = access_loyalty_customer(actor, customer_id, action="grant")
    form = PointsForm(request.POST)
    if form.is_valid():
        try:
            points_adjust(
                actor=actor,
                customer=customer,
                points=form.signed_points(),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("积分已记录。"))
            return redirect("loyalty:member", customer_id=customer.pk)
    context = _member_context(request, customer, points_form=form)
    return render(request, "loyalty/member.html", context, status=422)


@login_required
@require_POST
def redeem_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = request_actor(request)
    customer = access_loyalty_customer(actor, customer_id, action="redeem")
    form = RedeemForm(request.POST)
    if form.is_valid():
        try:
            points_redeem(
                actor=actor,
                customer=customer,
                kind=form.item()[0],
                item_id=form.item()[1],
                quantity=form.cleaned_data["quantity"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已兑换。"))
            return redirect("loyalty:member", customer_id=customer.pk)
    context = _member_context(request, customer, redeem_form=form)
    return render(request, "loyalty/member.html", context, status=422)


@login_required
@require_POST
def referrer_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Name the member who referred an existing customer (once)."""
    actor = request_actor(request)
    customer = access_loyalty_customer(actor, customer_id, action="redeem")
    form = ReferrerForm(request.POST)
    if form.is_valid():
        try:
            referral_link(customer=customer, code=form.cleaned_data["code"], actor_id=actor.pk)
        except ValidationError as error:
            form.add_error("code", error.message_dict.get("referral_code", error.messages))
        else:
            messages.success(request, _("已关联推荐人。"))
            return redirect("loyalty:member", customer_id=customer.pk)
    context = _member_context(request, customer, referrer_form=form)
    return render(request, "loyalty/member.html", context, status=422)


@login_required
def join_view(request: HttpRequest, code: str) -> HttpResponse:
    """A member's referral link: the new-customer form with the code filled in."""
    actor = request_actor(request)
    if not can_create(actor):
        raise Http404
    query = urlencode({"referral_code": code[:12]})
    return redirect(f"{reverse('customers:create')}?{query}")


@login_required
def programme_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    if not can_manage_programme(actor):
        raise PermissionDenied
    context = {
        "levels": Level.objects.all(),
        "rules": EarnRule.objects.select_related("product"),
        "gifts": Gift.objects.all(),
    }
    return render(request, "loyalty/programme.html", context)


@login_required
def programme_item_view(
    request: HttpRequest, what: str, item_id: int | None = None
) -> HttpResponse:
    """Create (no id) or change a level, an earn rule or a gift (admins)."""
    actor = request_actor(request)
    require_programme(actor)
    if what not in PROGRAMME_FORMS:
        raise Http404
    form_class, label = PROGRAMME_FORMS[what]
    model = form_class._meta.model
    instance = model() if item_id is None else model.objects.filter(pk=item_id).first()
    if instance is None:
        raise Http404
    initial = {"version": getattr(instance, "version", None)}
    form = form_class(request.POST or None, instance=instance, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form._meta.fields or ()}
        try:
            programme_save(
                actor=actor, instance=instance, data=data, version=form.cleaned_data.get("version")
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已保存。"))
            return redirect("loyalty:programme")
    status = 422 if form.errors else 200
    context = {"form": form, "label": label, "instance": instance}
    return render(request, "loyalty/programme_form.html", context, status=status)
