"""Pages: channels compared (the table, charts and funnel) and the costs typed in."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.selectors import request_actor
from kehu.channels.access import access_channels, access_costs, can_edit_costs
from kehu.channels.forms import CompareForm, CostForm
from kehu.channels.models import ChannelCost
from kehu.channels.selectors import Comparison, channel_comparison, funnel_labels
from kehu.channels.services import channel_cost_delete, channel_cost_save
from kehu.core.charts import chart_config
from kehu.core.errors import ConflictError
from kehu.core.forms import add_service_errors, keep_input_after_conflict
from kehu.core.paging import query_page

FUNNEL_ROWS = 6  # channels drawn in the funnel chart, most customers first
PAGE_SIZE = 50


def _chart(comparison: Comparison) -> dict[str, Any]:
    rows = comparison.rows
    return {
        "config": chart_config(),
        "labels": [r.label for r in rows],
        "customers": [r.sums.counts["customers"] for r in rows],
        "leads": [r.sums.counts["leads"] for r in rows],
        "value": [float(r.value) for r in rows],
        "cost": [float(r.cost) for r in rows],
        "funnel": {
            "steps": funnel_labels(),
            "series": [
                {"name": r.label, "data": r.funnel()}
                for r in [comparison.total, *rows[:FUNNEL_ROWS]]
            ],
        },
    }


@login_required
def compare_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    access_channels(actor)
    form = CompareForm(request.GET or None)
    comparison = channel_comparison(form.span() if form.is_bound else CompareForm().span())
    context = {
        "form": form,
        "comparison": comparison,
        "chart": _chart(comparison),
        "may_edit_costs": can_edit_costs(actor),
    }
    return render(request, "channels/compare.html", context)


def _cost_or_404(cost_id: int) -> ChannelCost:
    cost = ChannelCost.objects.select_related("campaign").filter(pk=cost_id).first()
    if cost is None:
        raise Http404
    return cost


@login_required
def costs_view(request: HttpRequest, cost_id: int | None = None) -> HttpResponse:
    actor = request_actor(request)
    access_costs(actor)
    cost = _cost_or_404(cost_id) if cost_id is not None else None
    if request.method == "POST":
        form = CostForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                channel_cost_save(
                    actor=actor,
                    channel=data["channel"],
                    campaign=data["campaign"],
                    month=data["month"],
                    amount=data["amount"],
                    note=data["note"],
                    cost=cost,
                    version=data["version"],
                )
            except ConflictError as error:
                add_service_errors(form, error)
                keep_input_after_conflict(form, request.POST, error)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已保存渠道成本。"))
                return redirect("channels:costs")
    else:
        form = CostForm.for_cost(cost) if cost is not None else CostForm()
    page = query_page(
        ChannelCost.objects.select_related("campaign", "updated_by"), _page(request), PAGE_SIZE
    )
    if page is None:
        raise Http404
    return render(request, "channels/costs.html", {"form": form, "cost": cost, "page": page})


def _page(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


@login_required
@require_POST
def cost_delete_view(request: HttpRequest, cost_id: int) -> HttpResponse:
    actor = request_actor(request)
    access_costs(actor)
    channel_cost_delete(actor=actor, cost=_cost_or_404(cost_id))
    messages.success(request, _("已删除渠道成本。"))
    return redirect("channels:costs")
