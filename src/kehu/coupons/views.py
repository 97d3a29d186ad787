"""Coupon pages: templates (list with statistics, create, edit, a template's page with
its chart and issuing to a segment) and issuing one to a customer from the customer
page. Thin: access helpers, selectors, services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.models import User
from kehu.accounts.selectors import request_actor
from kehu.core.charts import chart_config
from kehu.core.errors import ConflictError, KehuError
from kehu.core.forms import add_service_errors, keep_input_after_conflict
from kehu.coupons.access import (
    access_template,
    can_issue,
    can_manage_templates,
    can_view_templates,
)
from kehu.coupons.campaigns import coupon_campaign_send
from kehu.coupons.forms import CampaignForm, IssueCustomerForm, IssueSegmentForm, TemplateForm
from kehu.coupons.models import CouponTemplate
from kehu.coupons.selectors import template_coupons, template_list, template_stats, template_weeks
from kehu.coupons.services import (
    coupon_issue_hand,
    coupon_issue_segment,
    segment_customer_ids,
    template_create,
    template_update,
)
from kehu.customers.access import access_customer
from kehu.segments.selectors import segments_list


def _viewer(request: HttpRequest) -> User:
    actor = request_actor(request)
    if not can_view_templates(actor):
        raise PermissionDenied
    return actor


@login_required
def templates_view(request: HttpRequest) -> HttpResponse:
    actor = _viewer(request)
    rows = template_list()
    chart = {
        **chart_config(),
        "names": [t.name for t, _s in rows],
        "issued": [s.issued for _t, s in rows],
        "redeemed": [s.redeemed for _t, s in rows],
        "labels": {"issued": _("已发放"), "redeemed": _("已使用")},
    }
    context = {"rows": rows, "chart": chart, "may_manage": can_manage_templates(actor)}
    return render(request, "coupons/list.html", context)


def _form_page(
    request: HttpRequest, form: TemplateForm, template: CouponTemplate | None, status: int = 200
) -> HttpResponse:
    return render(request, "coupons/form.html", {"form": form, "template": template}, status=status)


@login_required
def template_create_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    if not can_manage_templates(actor):
        raise PermissionDenied
    if request.method != "POST":
        return _form_page(request, TemplateForm(), None)
    form = TemplateForm(request.POST)
    if form.is_valid():
        data, products = form.data_for_service()
        try:
            template = template_create(actor=actor, data=data, products=products)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("优惠券模板已保存。"))
            return redirect("coupons:detail", coupon_template_id=template.pk)
    return _form_page(request, form, None, status=422)


@login_required
def template_edit_view(request: HttpRequest, coupon_template_id: int) -> HttpResponse:
    actor = request_actor(request)
    template = access_template(actor, coupon_template_id, write=True)
    if request.method != "POST":
        return _form_page(request, TemplateForm(template=template), template)
    form = TemplateForm(request.POST)
    if form.is_valid():
        data, products = form.data_for_service()
        try:
            saved = template_update(
                actor=actor,
                template=template,
                data=data,
                products=products,
                version=form.cleaned_data["version"],
            )
        except ConflictError as error:
            keep_input_after_conflict(form, request.POST, error)
            form.add_error(None, error.message)
            return _form_page(request, form, template, status=409)
        except (ValidationError, KehuError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("优惠券模板已保存。"))
            return redirect("coupons:detail", coupon_template_id=saved.pk)
    return _form_page(request, form, template, status=422)


def _segment_choices(actor: User) -> list[tuple[int, str]]:
    return [(s.pk, s.name) for s in segments_list(actor)]


@login_required
def template_detail_view(request: HttpRequest, coupon_template_id: int) -> HttpResponse:
    actor = request_actor(request)
    template = access_template(actor, coupon_template_id)
    may_issue = can_issue(actor)
    context: dict[str, Any] = {
        "template": template,
        "products": list(template.products.all()),
        "stats": template_stats(template),
        "weeks": template_weeks(template),
        "chart": {**chart_config(), "labels": {"issued": _("已发放"), "redeemed": _("已使用")}},
        "coupons": template_coupons(template, actor),
        "may_manage": can_manage_templates(actor),
        "may_issue": may_issue,
        "segment_form": IssueSegmentForm(segments=_segment_choices(actor)) if may_issue else None,
        "campaign_form": CampaignForm(segments=_segment_choices(actor)) if may_issue else None,
    }
    return render(request, "coupons/detail.html", context)


@login_required
@require_POST
def template_issue_segment_view(request: HttpRequest, coupon_template_id: int) -> HttpResponse:
    actor = request_actor(request)
    if not can_issue(actor):
        raise PermissionDenied
    template = access_template(actor, coupon_template_id)
    form = IssueSegmentForm(request.POST, segments=_segment_choices(actor))
    if not form.is_valid():
        messages.error(request, _("请选择客户分群。"))
        return redirect("coupons:detail", coupon_template_id=template.pk)
    try:
        result = coupon_issue_segment(
            actor=actor, template=template, segment_id=form.cleaned_data["segment"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        text = _("已发放 %(n)d 张优惠券。") % {"n": len(result.coupons)}
        if result.over_limit:
            text += " " + _("%(n)d 位客户已达到限领数量，未再发放。") % {
                "n": len(result.over_limit)
            }
        messages.success(request, text)
    return redirect("coupons:detail", coupon_template_id=template.pk)


@login_required
@require_POST
def template_campaign_view(request: HttpRequest, coupon_template_id: int) -> HttpResponse:
    """A coupon to each customer of a segment, and a message with its code."""
    actor = request_actor(request)
    if not can_issue(actor):
        raise PermissionDenied
    template = access_template(actor, coupon_template_id)
    form = CampaignForm(request.POST, segments=_segment_choices(actor))
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("coupons:detail", coupon_template_id=template.pk)
    data = form.cleaned_data
    try:
        campaign, result = coupon_campaign_send(
            actor=actor,
            template=template,
            customer_ids=segment_customer_ids(actor, data["segment"]),
            channel=data["channel"],
            subject=data["subject"],
            body=data["body"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except KehuError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("已发放 %(n)d 张优惠券，并开始群发。") % {"n": len(result.coupons)},
        )
        return redirect("messaging:detail", campaign_id=campaign.pk)
    return redirect("coupons:detail", coupon_template_id=template.pk)


@login_required
@require_POST
def customer_issue_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Give the customer one coupon of the chosen template (the customer page's card)."""
    actor = request_actor(request)
    customer = access_customer(actor, customer_id)
    if not can_issue(actor):
        raise PermissionDenied
    templates = [(t.pk, t.name) for t in CouponTemplate.objects.filter(is_active=True)]
    form = IssueCustomerForm(request.POST, templates=templates)
    if not form.is_valid():
        messages.error(request, _("请选择优惠券。"))
    else:
        template = CouponTemplate.objects.get(pk=form.cleaned_data["template"])
        try:
            coupon = coupon_issue_hand(actor=actor, template=template, customer=customer)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("已发放优惠券 %(code)s。") % {"code": coupon.code})
    return redirect(reverse("customers:detail", args=[customer.pk]) + "#coupons")
