"""Quick sale (快速收银) at a counter, on a phone: the customer by the last digits of
their phone (or a new one, name and phone, in place), a product, the amount — three
taps. Saved through the same services as every sale (``sale_quick`` → ``order_upsert``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kehu.accounts.models import User
from kehu.core.errors import KehuError
from kehu.customers.access import access_customer
from kehu.customers.models import Customer, CustomerKind
from kehu.customers.services import customer_create
from kehu.orders.access import access_order
from kehu.orders.hooks import order_field_values
from kehu.orders.models import Product
from kehu.orders.sale_forms import QuickCustomerForm, QuickSaleForm
from kehu.orders.sale_selectors import product_for_sale, product_search
from kehu.orders.sale_views import extra_rows, recorder
from kehu.orders.sales import sale_quick

QUICK_PICKS = 6


def _page(
    request: HttpRequest,
    actor: User,
    form: QuickSaleForm,
    *,
    customer: Customer | None = None,
    product: Product | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    done = None
    if request.GET.get("done"):
        try:
            done = access_order(actor, request.GET["done"])
        except Http404:
            done = None
    context: dict[str, Any] = {
        "form": form,
        "customer": customer,
        "product": product,
        "picks": product_search("", limit=QUICK_PICKS),
        "new_customer": QuickCustomerForm(),
        "errors": errors or [],
        "done": done,
        "extra_fields": extra_rows(request.POST if request.method == "POST" else None),
    }
    return render(request, "orders/quick_sale.html", context, status=status)


@login_required
def quick_sale_view(request: HttpRequest) -> HttpResponse:
    actor = recorder(request)
    if request.method != "POST":
        return _page(request, actor, QuickSaleForm(initial={"payment_status": "paid"}))
    form = QuickSaleForm(request.POST)
    customer = product = None
    errors: list[str] = []
    if form.is_valid():
        customer = access_customer(actor, form.cleaned_data["customer"], write=True)
        product_id = form.cleaned_data["product"]
        product = product_for_sale(product_id) if product_id else None
        if product_id and product is None:
            errors.append(_("没有这个商品，或已下架。"))
        else:
            try:
                order = sale_quick(
                    actor=actor,
                    customer=customer,
                    product_id=product.pk if product else None,
                    amount=form.cleaned_data["amount"],
                    payment_status=form.cleaned_data["payment_status"],
                    extras=order_field_values(request.POST),
                )
            except ValidationError as error:
                errors = list(error.messages)
            except KehuError as error:
                errors = [error.message]
            else:
                return redirect(f"{request.path}?done={order.pk}")
    else:
        if not form.cleaned_data.get("customer") and "customer" in form.errors:
            errors.append(_("请先选择客户。"))
    return _page(
        request, actor, form, customer=customer, product=product, errors=errors, status=422
    )


@login_required
@require_GET
def quick_customer_view(request: HttpRequest) -> HttpResponse:
    """The chosen customer (tap one); without one, the search again ("change")."""
    actor = recorder(request)
    if "customer" not in request.GET:
        context = {"new_customer": QuickCustomerForm()}
        return render(request, "orders/_quick_parts.html#find", context)
    customer = access_customer(actor, request.GET.get("customer"), write=True)
    return render(request, "orders/_quick_parts.html#chosen", {"customer": customer})


@login_required
@require_POST
def quick_customer_new_view(request: HttpRequest) -> HttpResponse:
    """A new customer with a name and a phone, then chosen as if tapped."""
    actor = recorder(request)
    form = QuickCustomerForm(request.POST)
    if form.is_valid():
        try:
            customer = customer_create(
                actor=actor,
                data={"name": form.cleaned_data["name"], "kind": CustomerKind.PERSON},
                phones=[form.cleaned_data["phone"]],
            )
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                form.add_error("phone" if key.startswith("phone") else None, messages)
        except KehuError as error:
            form.add_error(None, error.message)
        else:
            return render(request, "orders/_quick_parts.html#chosen", {"customer": customer})
    return render(request, "orders/_quick_parts.html#new", {"new_customer": form}, status=422)


@login_required
@require_GET
def quick_product_view(request: HttpRequest) -> HttpResponse:
    """The chosen product (tap two): the amount filled in with its price; without
    one, the amount alone."""
    recorder(request)
    if "product" not in request.GET:
        form = QuickSaleForm(initial={"payment_status": "paid"})
        return render(request, "orders/_quick_parts.html#amount", {"product": None, "form": form})
    product = product_for_sale(request.GET["product"])
    if product is None:
        raise Http404
    form = QuickSaleForm(initial={"amount": product.price, "payment_status": "paid"})
    return render(request, "orders/_quick_parts.html#amount", {"product": product, "form": form})
