"""Pages for who works on a customer: the public pool, claim, release, transfer, and
duplicates with the merge screen. Thin: access helpers, selectors and services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import EmptyPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.models import Role
from kehu.accounts.selectors import request_actor
from kehu.core.errors import ConflictError, KehuError
from kehu.core.forms import add_service_errors
from kehu.customers.access import (
    access_customer,
    can_edit_pool_policy,
    can_reassign,
    can_restore,
    can_view_pool_policy,
    visibility_q,
)
from kehu.customers.duplicates import duplicate_dismiss
from kehu.customers.forms import PoolPolicyForm, ReasonForm, TransferForm
from kehu.customers.merge import MERGE_FIELDS, customer_merge, merge_undo
from kehu.customers.models import Customer, CustomerMerge, SourceChannel
from kehu.customers.ownership import (
    customer_transfer,
    owned_count,
    ownership_cap,
    pool_claim,
    pool_policy,
    pool_release,
    user_customers_transfer,
)
from kehu.customers.pool_policy import pool_policy_update
from kehu.customers.selectors import (
    CustomerFilters,
    PageOutOfRange,
    customer_detail,
    customer_list,
    duplicate_pairs,
)
from kehu.customers.views import int_param


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return _("；").join(error.messages)
    if isinstance(error, KehuError):
        return error.message
    return str(error)


# --- the pool ----------------------------------------------------------------------------


@login_required
def pool_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    get = request.GET
    source = get.get("source", "")[:20]
    filters = CustomerFilters(
        pool=True,
        q=get.get("q", "")[:100],
        province=get.get("province", "")[:32],
        city=get.get("city", "")[:32],
        industry=get.get("industry", "")[:64],
        source=source if source in SourceChannel.values else "",
        sort="-updated" if get.get("sort") == "-updated" else "-id",
    )
    try:
        page = customer_list(actor, filters, page=int_param(get.get("page")) or 1)
    except PageOutOfRange:
        raise Http404(_("没有这一页。")) from None
    may_claim = actor.role in (Role.SALES, Role.MANAGER) or actor.is_admin_role
    context = {
        "page": page,
        "filters": filters,
        "may_claim": may_claim,
        "may_view_rules": can_view_pool_policy(actor),
        "may_reassign": can_reassign(actor),
        "owned": owned_count(actor) if may_claim else 0,
        "cap": ownership_cap(actor) if may_claim else 0,
        "sources": [c for c in SourceChannel.choices if c[0]],
    }
    template = (
        "customers/pool.html#results" if getattr(request, "htmx", False) else "customers/pool.html"
    )
    return render(request, template, context)


@login_required
@require_POST
def claim_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = request_actor(request)
    try:
        customer = pool_claim(actor=actor, customer_id=customer_id)
    except (KehuError, ValidationError) as error:
        if getattr(request, "htmx", False):
            return render(request, "customers/_claim_result.html", {"error": _error_text(error)})
        messages.error(request, _error_text(error))
        return redirect("customers:pool")
    if getattr(request, "htmx", False):
        return render(request, "customers/_claim_result.html", {"customer": customer})
    messages.success(request, _("已领取“%(name)s”。") % {"name": customer.name})
    return redirect("customers:detail", customer_id=customer.pk)


@login_required
@require_POST
def release_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = request_actor(request)
    customer = access_customer(actor, customer_id, write=True)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写退回公海的原因。"))
        return redirect("customers:detail", customer_id=customer.pk)
    try:
        pool_release(actor=actor, customer=customer, reason=form.cleaned_data["reason"])
    except (KehuError, ValidationError) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("已退回公海。"))
    if Customer.objects.filter(visibility_q(actor), pk=customer.pk).exists():
        return redirect("customers:detail", customer_id=customer.pk)
    return redirect("customers:list")


@login_required
@require_POST
def transfer_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = request_actor(request)
    customer = access_customer(actor, customer_id)
    if not can_reassign(actor):
        raise PermissionDenied
    form = TransferForm(request.POST, actor=actor)
    if not form.is_valid():
        messages.error(request, _("请选择新负责人并填写原因。"))
        return redirect("customers:detail", customer_id=customer.pk)
    try:
        result = customer_transfer(
            actor=actor,
            customer_ids=[customer.pk],
            to_user=form.cleaned_data["to_user"],
            reason=form.cleaned_data["reason"],
            move_tasks=form.cleaned_data["move_tasks"],
        )
    except (KehuError, ValidationError) as error:
        messages.error(request, _error_text(error))
    else:
        if result.moved:
            messages.success(request, _("已转移。"))
        else:
            messages.warning(request, _("该客户已由此人负责。"))
    return redirect("customers:detail", customer_id=customer.pk)


@login_required
def transfer_all_view(request: HttpRequest) -> HttpResponse:
    """Move every customer of a departing user in one step (managers, admins)."""
    actor = request_actor(request)
    if not can_reassign(actor):
        raise Http404
    form = TransferForm(request.POST or None, actor=actor, departing=True)
    if request.method == "POST" and form.is_valid():
        try:
            result = user_customers_transfer(
                actor=actor,
                from_user=form.cleaned_data["from_user"],
                to_user=form.cleaned_data["to_user"],
                reason=form.cleaned_data["reason"],
                move_tasks=form.cleaned_data["move_tasks"],
            )
        except (KehuError, ValidationError) as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(
                request,
                _("已转移 %(moved)d 个客户，跳过 %(skipped)d 个。")
                % {"moved": len(result.moved), "skipped": len(result.skipped)},
            )
            return redirect("customers:transfer_all")
    return render(request, "customers/transfer_all.html", {"form": form})


# --- the pool's rules (公海规则) ---------------------------------------------------------


def _reclaim_schedule() -> str:
    from kehu.jobs.schedule import job_get

    try:
        return job_get("pool_reclaim").schedule.describe()
    except KeyError:
        return ""


def _policy_page(
    request: HttpRequest, form: PoolPolicyForm | None, *, status: int = 200, conflict: bool = False
) -> HttpResponse:
    actor = request_actor(request)
    policy = pool_policy()
    context = {
        "policy": policy,
        "form": form,
        "schedule": _reclaim_schedule(),
        "cap": ownership_cap(actor, policy),
        "owned": owned_count(actor),
        "conflict": conflict,
    }
    return render(request, "customers/pool_policy.html", context, status=status)


def _fresh_policy_form() -> PoolPolicyForm:
    policy = pool_policy()
    return PoolPolicyForm(instance=policy, initial={"version": policy.version})


@login_required
def pool_policy_view(request: HttpRequest) -> HttpResponse:
    """The pool's rules: admins change them, salespeople and managers read them."""
    actor = request_actor(request)
    if not can_view_pool_policy(actor):
        raise PermissionDenied
    editable = can_edit_pool_policy(actor)
    if request.method != "POST":
        return _policy_page(request, _fresh_policy_form() if editable else None)
    if not editable:
        raise PermissionDenied
    form = PoolPolicyForm(request.POST, instance=pool_policy())
    if not form.is_valid():
        return _policy_page(request, form, status=422)
    try:
        pool_policy_update(
            actor=actor, data=form.data_for_service(), version=form.cleaned_data["version"]
        )
    except ConflictError:
        return _policy_page(request, _fresh_policy_form(), status=409, conflict=True)
    except ValidationError as error:
        add_service_errors(form, error)
        return _policy_page(request, form, status=422)
    messages.success(request, _("公海规则已保存，立即生效。"))
    return redirect("customers:pool_policy")


# --- duplicates and merge ----------------------------------------------------------------


@login_required
def duplicates_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    paginator = Paginator(duplicate_pairs(actor), 25)
    try:
        page = paginator.page(int_param(request.GET.get("page")) or 1)
    except EmptyPage:
        raise Http404(_("没有这一页。")) from None
    return render(
        request,
        "customers/duplicates.html",
        {"page": page, "may_merge": not actor.is_read_only and actor.role != Role.SERVICE},
    )


@login_required
@require_POST
def duplicate_dismiss_view(request: HttpRequest, pair_id: int) -> HttpResponse:
    actor = request_actor(request)
    pair = get_object_or_404(duplicate_pairs(actor), pk=pair_id)
    access_customer(actor, pair.customer_a_id, write=True)
    duplicate_dismiss(actor=actor, pair=pair)
    if getattr(request, "htmx", False):
        return HttpResponse("")
    messages.success(request, _("已标记为不是重复。"))
    return redirect("customers:duplicates")


def _merge_rows(survivor: Customer, other: Customer) -> list[dict[str, Any]]:
    labels = {
        f.name: f.verbose_name for f in Customer._meta.get_fields() if hasattr(f, "verbose_name")
    }
    rows = []
    for name in MERGE_FIELDS:
        mine, theirs = _shown(survivor, name), _shown(other, name)
        rows.append(
            {
                "name": name,
                "label": labels.get(name, name),
                "self": mine,
                "other": theirs,
                "same": mine == theirs,
                "default": "other" if not mine and theirs else "self",
            }
        )
    return rows


def _shown(customer: Customer, name: str) -> str:
    if name == "owner":
        return customer.owner.label if customer.owner else str(_("公海"))
    display = getattr(customer, f"get_{name}_display", None)
    value = display() if callable(display) else getattr(customer, name)
    if value in (None, False):
        return ""
    return str(value)


@login_required
def merge_view(request: HttpRequest, customer_id: int, other_id: int) -> HttpResponse:
    """Side by side: choose, field by field, which value the surviving record keeps."""
    actor = request_actor(request)
    survivor = access_customer(actor, customer_id, write=True)
    other = access_customer(actor, other_id, write=True)
    if request.method == "POST":
        fields = {
            name: request.POST[f"f_{name}"]
            for name in MERGE_FIELDS
            if request.POST.get(f"f_{name}") in ("self", "other")
        }
        try:
            customer_merge(actor=actor, survivor_id=survivor.pk, other_id=other.pk, fields=fields)
        except (KehuError, ValidationError) as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(
                request, _("已将 #%(id)d 合并到本客户。管理员可以撤销。") % {"id": other.pk}
            )
            return redirect("customers:detail", customer_id=survivor.pk)
    return render(
        request,
        "customers/merge.html",
        {
            "survivor": customer_detail(survivor),
            "other": customer_detail(other),
            "rows": _merge_rows(survivor, other),
        },
    )


@login_required
@require_POST
def merge_undo_view(request: HttpRequest, merge_id: int) -> HttpResponse:
    actor = request_actor(request)
    if not can_restore(actor):
        raise Http404
    record = get_object_or_404(CustomerMerge, pk=merge_id)
    try:
        merge_undo(actor=actor, merge_id=record.pk)
    except (KehuError, ValidationError) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("已撤销合并，两个客户都已恢复。"))
    return redirect(reverse("customers:detail", args=[record.survivor_id]) + "#ownership")
