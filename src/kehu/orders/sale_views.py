"""Sale pages: record a sale (录入订单), edit or cancel an order, and their htmx parts
(product search, a line added or removed, the customer picker). Thin: access helpers,
selectors, the sale services (which go through ``order_upsert``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kehu.accounts.models import User
from kehu.accounts.selectors import request_actor
from kehu.core.errors import ConflictError, KehuError
from kehu.customers.access import access_customer
from kehu.customers.models import Customer
from kehu.orders.access import access_order, can_record_orders
from kehu.orders.hooks import OrderField, order_field_values, order_fields
from kehu.orders.models import Order
from kehu.orders.sale_forms import LineRow, SaleForm, line_errors, sale_lines
from kehu.orders.sale_selectors import buyer_search, product_for_sale, product_search
from kehu.orders.sales import Sale, sale_cancel, sale_record, sale_update


def recorder(request: HttpRequest) -> User:
    """The user, when their role may record sales (else 403: analysts, service)."""
    actor = request_actor(request)
    if not can_record_orders(actor):
        raise PermissionDenied
    return actor


def extra_rows(data: Any = None) -> list[tuple[OrderField, str]]:
    """The extra fields of a new sale (``kehu.orders.hooks``) with what was typed."""
    values = order_field_values(data) if data is not None else {}
    return [(field, values.get(field.name, "")) for field in order_fields()]


def _page(
    request: HttpRequest,
    *,
    customer: Customer | None,
    form: SaleForm,
    rows: list[LineRow],
    order: Order | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "customer": customer,
        "form": form,
        "rows": rows,
        "order": order,
        "errors": errors or [],
        "quick_picks": product_search("") if customer is not None else [],
        # Extra fields (a coupon code) only on a new sale.
        "extra_fields": extra_rows(request.POST if request.method == "POST" else None)
        if order is None
        else [],
    }
    return render(request, "orders/sale_form.html", context, status=status)


def _save(
    request: HttpRequest, actor: User, customer: Customer, order: Order | None
) -> HttpResponse:
    form = SaleForm(request.POST)
    rows, lines, readable = sale_lines(request.POST)
    errors: list[str] = []
    if form.is_valid() and readable:
        sale = Sale(
            customer=customer,
            ordered_at=form.cleaned_data["ordered_at"],
            channel=form.cleaned_data["channel"],
            payment_status=form.cleaned_data["payment_status"],
            lines=lines,
        )
        try:
            if order is None:
                extras = order_field_values(request.POST)
                saved = sale_record(actor=actor, sale=sale, extras=extras)
            else:
                version = form.cleaned_data["version"] or order.version
                saved, _outcome = sale_update(actor=actor, order=order, version=version, sale=sale)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                errors = line_errors(rows, error.message_dict)
            else:
                errors = list(error.messages)
        except KehuError as error:
            errors = [error.message]
            if isinstance(error, ConflictError):
                return _page(
                    request, customer=customer, form=form, rows=rows, order=order,
                    errors=errors, status=409,
                )  # fmt: skip
        else:
            messages.success(request, _("订单已保存。"))
            return redirect("orders:detail", order_id=saved.pk)
    elif not rows:
        errors = [_("请至少添加一个商品。")]
    return _page(
        request, customer=customer, form=form, rows=rows, order=order, errors=errors, status=422
    )


@login_required
def sale_new_view(request: HttpRequest) -> HttpResponse:
    """``?customer=ID``: the sale form for that customer; without it, pick one first."""
    actor = recorder(request)
    customer_id = request.GET.get("customer")
    if not customer_id:
        return render(request, "orders/sale_pick.html", {})
    customer = access_customer(actor, customer_id, write=True)
    if request.method == "POST":
        return _save(request, actor, customer, None)
    return _page(request, customer=customer, form=SaleForm(), rows=[])


@login_required
def sale_edit_view(request: HttpRequest, order_id: int) -> HttpResponse:
    actor = recorder(request)
    order = access_order(actor, order_id, write=True)
    if not order.external_id:
        raise Http404
    if request.method == "POST":
        return _save(request, actor, order.customer, order)
    form = SaleForm(
        initial={
            "ordered_at": timezone.localtime(order.ordered_at).strftime("%Y-%m-%dT%H:%M"),
            "channel": order.channel,
            "payment_status": order.payment_status,
            "version": order.version,
        }
    )
    rows = [
        LineRow(
            line.product,
            f"{line.quantity.normalize():f}",
            str(line.unit_price),
            "" if line.unit_cost is None else str(line.unit_cost),
            str(line.discount),
        )
        for line in order.lines.select_related("product").order_by("position")
    ]
    return _page(request, customer=order.customer, form=form, rows=rows, order=order)


@login_required
@require_POST
def sale_cancel_view(request: HttpRequest, order_id: int) -> HttpResponse:
    actor = recorder(request)
    order = access_order(actor, order_id, write=True)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    try:
        sale_cancel(actor=actor, order=order, version=version)
    except (ValidationError, KehuError) as error:
        text = error.message if isinstance(error, KehuError) else " ".join(error.messages)
        messages.error(request, text)
    else:
        messages.success(request, _("订单已作废。"))
    return redirect("orders:detail", order_id=order.pk)


# --- htmx parts -------------------------------------------------------------------------


@login_required
@require_GET
def sale_products_view(request: HttpRequest) -> HttpResponse:
    """Products matching ``q`` (name, pinyin, initials, SKU), each adding a line."""
    recorder(request)
    products = product_search(request.GET.get("q", ""))
    target = request.GET.get("for", "form")
    return render(
        request,
        "orders/_sale_parts.html#products",
        {"products": products, "target": target, "q": request.GET.get("q", "")},
    )


@login_required
@require_GET
def sale_line_view(request: HttpRequest) -> HttpResponse:
    """A new line for the product, filled in with its price and unit cost."""
    recorder(request)
    if "product" not in request.GET:
        return HttpResponse("")  # nothing to add
    product = product_for_sale(request.GET["product"])
    if product is None:
        raise Http404
    return render(request, "orders/_sale_parts.html#line", {"row": LineRow.new(product)})


@login_required
def sale_line_remove_view(request: HttpRequest) -> HttpResponse:
    """Nothing: the line is taken off the form by the swap itself (``hx-swap=delete``)."""
    recorder(request)
    return HttpResponse("")


@login_required
@require_GET
def sale_customers_view(request: HttpRequest) -> HttpResponse:
    """Customers the user may record a sale for, by the last digits of a phone or a
    name; ``for=quick`` answers with the quick sale's big buttons."""
    actor = recorder(request)
    query = request.GET.get("q", "")
    context = {"buyers": buyer_search(actor, query), "q": query.strip()}
    if request.GET.get("for") == "quick":
        return render(request, "orders/_quick_parts.html#buyers", context)
    return render(request, "orders/_sale_parts.html#buyers", context)
