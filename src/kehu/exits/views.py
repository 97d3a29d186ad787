"""Pages: the exit analysis, the exits list, the win-back list, an exit recorded or
explained, the taxonomy and the settings. Thin: access helpers, selectors, services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kehu.accounts.selectors import request_actor
from kehu.core.charts import chart_config
from kehu.core.errors import ConflictError
from kehu.core.forms import add_service_errors, keep_input_after_conflict
from kehu.core.paging import query_page
from kehu.customers.access import access_customer
from kehu.customers.views import int_param
from kehu.exits.access import (
    access_exit,
    access_reason,
    access_reasons,
    access_settings,
    can_record_exit,
)
from kehu.exits.analysis import Analysis, exit_analysis
from kehu.exits.forms import AnalysisForm, ExitForm, ReasonForm, SettingsForm, WinbackForm
from kehu.exits.models import ExitRecord
from kehu.exits.selectors import ExitFilters, exit_list, reasons_all, with_links
from kehu.exits.services import exit_record, exit_update, reason_save, settings_save
from kehu.exits.snapshot import exit_settings
from kehu.exits.winback import winback_exits, winback_rate
from kehu.messaging.access import can_send_any
from kehu.orders.models import Refund

PAGE_SIZE = 50


def _page(request: HttpRequest, rows: Any) -> Any:
    page = query_page(rows, int_param(request.GET.get("page")) or 1, PAGE_SIZE)
    if page is None:
        raise Http404(_("没有这一页。"))
    return page


def _chart(analysis: Analysis) -> dict[str, Any]:
    rows = analysis.rows or [analysis.total]
    return {
        "config": chart_config(),
        "groups": [r.label for r in rows],
        "series": [
            {"name": reason.name, "data": [r.counts.get(reason.pk, 0) for r in rows]}
            for reason in analysis.reasons
        ],
    }


@login_required
def analysis_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    form = AnalysisForm(request.GET or None)
    analysis = exit_analysis(actor, form.query(request.GET.get("segment")))
    rate = winback_rate(actor)
    context = {
        "form": form,
        "analysis": analysis,
        "chart": _chart(analysis),
        "rate": rate,
        "rate_chart": {
            "config": chart_config(),
            "months": [m.month.strftime("%Y-%m") for m in rate.months],
            "exits": [m.exits for m in rate.months],
            "rates": [None if m.rate is None else round(m.rate * 100, 1) for m in rate.months],
        },
    }
    return render(request, "exits/analysis.html", context)


def _filters(request: HttpRequest) -> ExitFilters:
    won = request.GET.get("won_back")
    return ExitFilters(
        reason=int_param(request.GET.get("reason")),
        source=request.GET.get("source", "")[:10],
        owner=int_param(request.GET.get("owner")),
        won_back=None if won not in ("0", "1") else won == "1",
    )


@login_required
def exit_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    filters = _filters(request)
    page = _page(request, exit_list(actor, filters))
    return render(
        request,
        "exits/list.html",
        {"page": page, "filters": filters, "reasons": reasons_all()},
    )


@login_required
def winback_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    form = WinbackForm(request.GET or None)
    rows = winback_exits(actor, form.filters()).select_related("customer", "reason", "owner")
    rate = winback_rate(actor)
    context = {
        "form": form,
        "page": _page(request, rows),
        "settings": exit_settings(),
        "may_send": can_send_any(actor),
        "rate": rate,
        "rate_chart": {
            "config": chart_config(),
            "months": [m.month.strftime("%Y-%m") for m in rate.months],
            "exits": [m.exits for m in rate.months],
            "won": [m.won_back for m in rate.months],
            "rates": [None if m.rate is None else round(m.rate * 100, 1) for m in rate.months],
        },
    }
    return render(request, "exits/winback.html", context)


def _refunds_of(customer: Any) -> Any:
    return (
        Refund.objects.filter(order__customer=customer)
        .select_related("order")
        .order_by("-refunded_at", "-id")
    )


@login_required
def exit_record_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = request_actor(request)
    customer = access_customer(actor, customer_id, write=True)
    if not can_record_exit(actor, customer):
        raise Http404
    form = ExitForm(request.POST or None, refunds=_refunds_of(customer))
    if request.method == "POST" and form.is_valid():
        try:
            exit_record(
                actor=actor,
                customer=customer,
                at=form.cleaned_data.get("at"),
                **form.service_data(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已记录客户退出。"))
            return redirect("customers:detail", customer_id=customer.pk)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "customer": customer, "record": None}
    return render(request, "exits/form.html", context, status=status)


@login_required
def exit_edit_view(request: HttpRequest, exit_id: int) -> HttpResponse:
    actor = request_actor(request)
    record: ExitRecord = access_exit(actor, exit_id, write=request.method == "POST")
    may_edit = can_record_exit(actor, record.customer)
    refunds = _refunds_of(record.customer)
    if request.method == "POST":
        form = ExitForm(request.POST, refunds=refunds, editing=True)
        if form.is_valid():
            try:
                exit_update(
                    actor=actor,
                    record=record,
                    version=form.cleaned_data.get("version"),
                    **form.service_data(),
                )
            except ConflictError as error:
                add_service_errors(form, error)
                keep_input_after_conflict(form, request.POST, error)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已保存退出原因。"))
                return redirect("exits:edit", exit_id=record.pk)
    else:
        form = ExitForm(
            initial={
                "reason": record.reason_id,
                "competitor": record.competitor,
                "details": record.details,
                "refunds": list(record.refunds.values_list("pk", flat=True)),
                "version": record.version,
            },
            refunds=refunds,
            editing=True,
        )
    [shown] = with_links(
        ExitRecord.objects.filter(pk=record.pk).select_related(
            "customer", "reason", "owner", "team", "created_by", "won_back_order", "invitation"
        )
    )
    status = 422 if request.method == "POST" else 200
    context = {"form": form if may_edit else None, "customer": record.customer, "record": shown}
    return render(request, "exits/form.html", context, status=status)


@login_required
def reasons_view(request: HttpRequest, reason_id: int | None = None) -> HttpResponse:
    actor = request_actor(request)
    access_reasons(actor)
    reason = access_reason(actor, reason_id) if reason_id is not None else None
    form = ReasonForm(request.POST or None, instance=reason)
    if reason is not None and request.method != "POST":
        form.initial["version"] = reason.version
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data}
        version = data.pop("version", None)
        try:
            reason_save(actor=actor, data=data, reason=reason, version=version)
        except ConflictError as error:
            add_service_errors(form, error)
            keep_input_after_conflict(form, request.POST, error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已保存退出原因。"))
            return redirect("exits:reasons")
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "reason": reason, "reasons": reasons_all()}
    return render(request, "exits/reasons.html", context, status=status)


@login_required
def settings_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    access_settings(actor)
    current = exit_settings()
    form = SettingsForm(request.POST or None, instance=current)
    if request.method != "POST":
        form.initial["version"] = current.version
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data}
        version = data.pop("version", None)
        try:
            settings_save(actor=actor, data=data, version=version)
        except ConflictError as error:
            add_service_errors(form, error)
            keep_input_after_conflict(form, request.POST, error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已保存退出设置。"))
            return redirect("exits:settings")
    status = 422 if request.method == "POST" else 200
    return render(request, "exits/settings.html", {"form": form}, status=status)
