"""The lifecycle analytics page (生命周期分析): one page, htmx-refreshed filters."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kehu.accounts.selectors import request_actor, teams_visible_to, users_visible_to
from kehu.customers.audiences import audience_choices
from kehu.customers.models import Tag
from kehu.lifecycle.analytics_forms import AnalyticsFiltersForm
from kehu.lifecycle.analytics_selectors import analytics_models, chart_data, lifecycle_report


@login_required
def analytics_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    form = AnalyticsFiltersForm(request.GET or None)
    filters = form.filters()
    report = lifecycle_report(actor, filters) if filters is not None else None
    context = {
        "form": form,
        "report": report,
        "chart": chart_data(report) if report is not None else None,
        "models": analytics_models(),
        "teams": teams_visible_to(actor)[:200],
        "owners": users_visible_to(actor).filter(is_active=True)[:200],
        "tags": Tag.objects.order_by("name")[:200],
        "segments": audience_choices(actor, "segment")[:200],
    }
    partial = getattr(request, "htmx", False)
    template = (
        "lifecycle/analytics_page.html#results" if partial else "lifecycle/analytics_page.html"
    )
    return render(request, template, context)
