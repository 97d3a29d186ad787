"""Product pages (商品), for admins and managers: the list, create, edit,
deactivate / reactivate, and the categories. Everyone else gets 403."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.models import User
from kehu.accounts.selectors import request_actor
from kehu.core.errors import ConflictError
from kehu.core.forms import add_service_errors, keep_input_after_conflict
from kehu.core.money import currency_symbol
from kehu.customers.selectors import PageOutOfRange
from kehu.customers.views import int_param
from kehu.orders.access import can_manage_products
from kehu.orders.catalog import (
    access_category,
    access_product,
    category_create,
    category_delete,
    category_tree,
    category_update,
    product_page,
    product_save,
    product_set_active,
)
from kehu.orders.models import Product
from kehu.orders.product_forms import CategoryForm, ProductFilterForm, ProductForm


def _manager(request: HttpRequest) -> User:
    actor = request_actor(request)
    if not can_manage_products(actor):
        raise PermissionDenied
    return actor


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@login_required
def product_list_view(request: HttpRequest) -> HttpResponse:
    _manager(request)
    tree = category_tree()
    form = ProductFilterForm(request.GET, tree=tree)
    try:
        page = product_page(form.filters(), page=int_param(request.GET.get("page")) or 1)
    except PageOutOfRange:
        raise Http404(_("没有这一页。")) from None
    template = "orders/products/list.html"
    if getattr(request, "htmx", False):
        template += "#results"
    return render(request, template, {"page": page, "form": form, "has_categories": bool(tree)})


def _form_page(
    request: HttpRequest,
    form: ProductForm,
    product: Product | None,
    conflict: ConflictError | None = None,
) -> HttpResponse:
    context: dict[str, Any] = {
        "form": form,
        "product": product,
        "conflict": conflict,
        "currency_symbol": currency_symbol(),
    }
    status = 422 if form.errors or conflict else 200
    return render(request, "orders/products/form.html", context, status=status)


@login_required
def product_create_view(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    form = ProductForm(request.POST or None, tree=category_tree())
    if request.method == "POST" and form.is_valid():
        try:
            product_save(actor=actor, **form.service_arguments())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("商品已创建。"))
            return redirect("orders:products")
    return _form_page(request, form, None)


@login_required
def product_edit_view(request: HttpRequest, product_id: int) -> HttpResponse:
    actor = _manager(request)
    product = access_product(actor, product_id)
    form = ProductForm(request.POST or None, tree=category_tree(), product=product)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            product_save(
                actor=actor,
                product=product,
                version=form.cleaned_data.get("version") or 0,
                **form.service_arguments(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except ConflictError as error:
            conflict = error
            keep_input_after_conflict(form, request.POST, error)
            product.refresh_from_db()
        else:
            messages.success(request, _("已保存。"))
            return redirect("orders:products")
    return _form_page(request, form, product, conflict)


@login_required
@require_POST
def product_active_view(request: HttpRequest, product_id: int) -> HttpResponse:
    """Deactivate (``active=0``) or reactivate (``active=1``) a product."""
    actor = _manager(request)
    product = access_product(actor, product_id)
    active = request.POST.get("active") == "1"
    try:
        product_set_active(actor=actor, product=product, active=active, version=_version(request))
    except ConflictError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("商品已重新上架。") if active else _("商品已停用。"))
    if _safe_next(request):
        return redirect(request.POST["next"])
    return redirect("orders:products")


def _safe_next(request: HttpRequest) -> bool:
    target = request.POST.get("next", "")
    return target.startswith("/orders/products/") and "//" not in target


# --- categories -----------------------------------------------------------------------


def _categories_page(
    request: HttpRequest,
    *,
    new_form: CategoryForm | None = None,
    edit_form: CategoryForm | None = None,
    edit_id: int | None = None,
    error: str = "",
) -> HttpResponse:
    tree = category_tree()
    rows = [
        {
            "row": row,
            "form": edit_form
            if row.category.pk == edit_id and edit_form is not None
            else CategoryForm(tree=tree, category=row.category),
            "open": row.category.pk == edit_id,
        }
        for row in tree
    ]
    failed = new_form is not None or edit_form is not None or bool(error)
    context = {
        "rows": rows,
        "new_form": new_form or CategoryForm(tree=tree),
        "new_open": new_form is not None,
        "error": error,
    }
    return render(
        request, "orders/products/categories.html", context, status=422 if failed else 200
    )


@login_required
def category_list_view(request: HttpRequest) -> HttpResponse:
    _manager(request)
    return _categories_page(request)


@login_required
@require_POST
def category_create_view(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    form = CategoryForm(request.POST, tree=category_tree())
    if form.is_valid():
        try:
            category_create(actor=actor, **form.service_arguments())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("分类已添加。"))
            return redirect("orders:categories")
    return _categories_page(request, new_form=form)


@login_required
@require_POST
def category_edit_view(request: HttpRequest, category_id: int) -> HttpResponse:
    actor = _manager(request)
    category = access_category(actor, category_id)
    form = CategoryForm(request.POST, tree=category_tree(), category=category)
    if form.is_valid():
        try:
            category_update(
                actor=actor,
                category=category,
                version=form.cleaned_data.get("version") or 0,
                **form.service_arguments(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except ConflictError as error:
            add_service_errors(form, error)
            keep_input_after_conflict(form, request.POST, error)
        else:
            messages.success(request, _("已保存。"))
            return redirect("orders:categories")
    return _categories_page(request, edit_form=form, edit_id=category.pk)


@login_required
@require_POST
def category_delete_view(request: HttpRequest, category_id: int) -> HttpResponse:
    actor = _manager(request)
    category = access_category(actor, category_id)
    try:
        category_delete(actor=actor, category=category)
    except ValidationError as error:
        return _categories_page(request, error=" ".join(error.messages))
    messages.success(request, _("分类已删除。"))
    return redirect("orders:categories")
