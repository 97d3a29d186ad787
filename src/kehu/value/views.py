"""Value pages: the dashboard, the at-risk list, the model page and the settings (see
``access.py`` for who sees which)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.selectors import request_actor
from kehu.core.errors import KehuError
from kehu.core.exports import export_response
from kehu.core.forms import add_service_errors
from kehu.customers.access import access_customer, can_log_interaction
from kehu.customers.audiences import audience_choices
from kehu.customers.selectors import PageOutOfRange
from kehu.value.access import (
    access_at_risk,
    access_dashboard,
    access_target_fit,
    access_value_admin,
    can_admin_value,
)
from kehu.value.charts import dashboard_context
from kehu.value.churn_warning import warning_of
from kehu.value.exports import at_risk_header, at_risk_table
from kehu.value.forms import ValueSettingsForm
from kehu.value.models import CustomerValue
from kehu.value.selectors import (
    at_risk_page,
    at_risk_rows,
    new_customers_by_fit,
    purchase_models,
    run_latest,
    run_latest_good,
    run_text,
    runs_recent,
)
from kehu.value.services import retention_task_create, value_settings, value_settings_update
from kehu.value.tasks import value_score_now
from kehu.value.texts import run_message


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _page(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), 1_000_000))
    except ValueError:
        return 1


def _segment(request: HttpRequest) -> int | None:
    """``?segment=``: the at-risk list of a segment's members (an audience)."""
    raw = request.GET.get("segment", "")
    return int(raw) if raw.isdigit() and len(raw) < 18 else None


@login_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    access_dashboard(actor)
    context = dashboard_context(run_latest_good(), run_latest())
    context["may_admin"] = can_admin_value(actor)
    return render(request, "value/dashboard.html", context)


@login_required
def at_risk_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    access_at_risk(actor)
    segment = _segment(request)
    try:
        page = at_risk_page(actor, page=_page(request), segment=segment)
    except PageOutOfRange:
        raise Http404 from None
    context = {
        "page": page,
        "latest": run_latest(),
        "run_text": run_text(page.run),
        "segment": segment,
        "segments": audience_choices(actor, "segment")[:200],
    }
    template = "value/at_risk.html#list" if _htmx(request) else "value/at_risk.html"
    return render(request, template, context)


@login_required
def new_customers_view(request: HttpRequest) -> HttpResponse:
    """New customers (the last 90 days) ranked by target fit (目标客户定位)."""
    actor = request_actor(request)
    access_target_fit(actor)
    try:
        page = new_customers_by_fit(actor, page=_page(request))
    except PageOutOfRange:
        raise Http404 from None
    template = "value/new_customers.html#list" if _htmx(request) else "value/new_customers.html"
    return render(request, template, {"page": page})


@login_required
def at_risk_export_view(request: HttpRequest, file_format: str = "csv") -> HttpResponseBase:
    actor = request_actor(request)
    access_at_risk(actor)
    run, rows = at_risk_rows(actor, _segment(request))
    if run is None:
        raise Http404
    return export_response(
        filename=f"at-risk-{run.as_of.isoformat()}",
        header=at_risk_header(),
        rows=at_risk_table(rows),
        file_format=file_format,
        sheet=_("流失预警"),
        user=actor,  # the export switch of the user's role, and the export's record
        list_key="at-risk",
    )


@login_required
@require_POST
def retention_task_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = request_actor(request)
    access_at_risk(actor)
    customer = access_customer(actor, customer_id)
    if not can_log_interaction(actor, customer):
        raise PermissionDenied
    run = run_latest_good()
    row = CustomerValue.objects.filter(run=run, customer=customer).first() if run else None
    reasons = list(row.reasons or []) if row else []
    task, created = retention_task_create(actor=actor, customer=customer, reasons=reasons)
    if _htmx(request):
        return render(request, "value/_task_done.html", {"task": task, "created": created})
    if created:
        messages.success(request, _("已创建挽留任务：%(title)s") % {"title": task.title_text})
    else:
        messages.info(request, _("该客户已有未完成的挽留任务。"))
    return redirect("value:at_risk")


@login_required
def model_view(request: HttpRequest) -> HttpResponse:
    access_value_admin(request_actor(request))
    good, latest = run_latest_good(), run_latest()
    runs = [(run, run_message(run.message_code, run.detail)) for run in runs_recent()]
    context: dict[str, Any] = {"good": good, "latest": latest, "runs": runs}
    context["purchase_models"] = purchase_models(good)
    context["backtest"] = (good.params or {}).get("backtest") if good else None
    context["good_text"], context["latest_text"] = run_text(good), run_text(latest)
    context["warning"] = warning_of(good)
    return render(request, "value/model.html", context)


@login_required
@require_POST
def run_now_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    access_value_admin(actor)
    value_score_now(actor.pk)
    messages.success(request, _("已安排评分，完成后刷新本页查看结果。"))
    return redirect("value:model")


@login_required
def settings_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    access_value_admin(actor)
    conf = value_settings()
    if request.method != "POST":
        form = ValueSettingsForm(instance=conf, initial={"version": conf.version})
        return render(request, "value/settings.html", {"form": form})
    form = ValueSettingsForm(request.POST, instance=value_settings())
    if form.is_valid():
        try:
            value_settings_update(
                actor=actor, data=form.data_for_service(), version=form.cleaned_data["version"]
            )
        except (ValidationError, KehuError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("设置已保存，下次评分时生效。"))
            return redirect("value:settings")
    return render(request, "value/settings.html", {"form": form}, status=422)
