"""Order pages: the list (visible orders, filters, pages) and an order with its lines,
refunds, history and a refund form. Thin: access helpers, selectors, services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.models import User
from kehu.accounts.selectors import request_actor
from kehu.core.forms import add_service_errors
from kehu.customers.selectors import PageOutOfRange
from kehu.customers.views import int_param
from kehu.orders.access import access_order, can_write_order
from kehu.orders.forms import OrderFilterForm, RefundForm
from kehu.orders.models import Order
from kehu.orders.policy import refund_policy
from kehu.orders.selectors import order_detail, order_list, order_revisions
from kehu.orders.services import refund_record


@login_required
def order_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    form = OrderFilterForm(request.GET)
    filters = form.filters()
    try:
        page = order_list(actor, filters, page=int_param(request.GET.get("page")) or 1)
    except PageOutOfRange:
        raise Http404(_("没有这一页。")) from None
    template = "orders/list.html#results" if getattr(request, "htmx", False) else "orders/list.html"
    return render(request, template, {"page": page, "form": form, "filters": filters})


def _detail(
    request: HttpRequest, actor: User, order: Order, form: RefundForm | None, status: int = 200
) -> HttpResponse:
    may_refund = can_write_order(actor, order) and order.refundable > 0
    context = {
        "order": order_detail(order),
        "revisions": order_revisions(order),
        "refund_form": (form or RefundForm()) if may_refund else None,
        "refund_policy": refund_policy() if may_refund else None,
    }
    return render(request, "orders/detail.html", context, status=status)


@login_required
def order_detail_view(request: HttpRequest, order_id: int) -> HttpResponse:
    actor = request_actor(request)
    return _detail(request, actor, access_order(actor, order_id), None)


@login_required
@require_POST
def order_refund_view(request: HttpRequest, order_id: int) -> HttpResponse:
    actor = request_actor(request)
    order = access_order(actor, order_id, write=True)
    form = RefundForm(request.POST)
    if form.is_valid():
        try:
            refund_record(actor=actor, order=order, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("退款已登记。"))
            return redirect("orders:detail", order_id=order.pk)
    return _detail(request, actor, order, form, status=422)
