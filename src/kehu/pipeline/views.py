"""Pipeline pages: the board (drag a card to another phase), the list, one opportunity
with its history and the won/lost actions, the forms. Thin: access helpers,
selectors, services."""

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
from kehu.core.charts import chart_config
from kehu.core.errors import KehuError
from kehu.core.forms import add_service_errors, keep_input_after_conflict
from kehu.customers.access import access_customer
from kehu.customers.views import int_param
from kehu.pipeline import selectors
from kehu.pipeline.access import access_opportunity, can_change, can_create_for
from kehu.pipeline.forecast import forecast
from kehu.pipeline.forms import (
    LineFormSet,
    ListFilterForm,
    LoseForm,
    MoveForm,
    OpportunityForm,
    ScopeForm,
    WinForm,
    line_initial,
    lines_of,
)
from kehu.pipeline.models import Opportunity
from kehu.pipeline.services import (
    opportunity_create,
    opportunity_delete,
    opportunity_lose,
    opportunity_move,
    opportunity_update,
    opportunity_win,
    phases_active,
)


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


@login_required
def board_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    form = ScopeForm(actor, request.GET or None)
    context = {"columns": selectors.board(actor, form.scope()), "form": form, "win_form": WinForm()}
    template = "pipeline/board.html#board" if _htmx(request) else "pipeline/board.html"
    return render(request, template, context)


@login_required
@require_POST
def move_view(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    """A card dropped on another column: 200 with the card as it is now; refused (404,
    403, 409) with the reason in ``HX-Trigger`` and the card unchanged."""
    actor = request_actor(request)
    opportunity = access_opportunity(actor, opportunity_id, write=True)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _refused(_("没有这个阶段。"), 422)
    try:
        opportunity = opportunity_move(
            actor=actor,
            opportunity=opportunity,
            phase=form.cleaned_data["phase"],
            version=form.cleaned_data.get("version"),
        )
    except KehuError as exc:
        return _refused(exc.message, exc.status)
    except ValidationError as exc:
        return _refused(" ".join(exc.messages), 422)
    if not _htmx(request):
        return redirect("pipeline:detail", opportunity_id=opportunity.pk)
    card = selectors.card_of(opportunity, stale=False, movable=True)
    return render(request, "pipeline/board.html#card", {"card": card})


def _refused(message: str, status: int) -> HttpResponse:
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    return response


@login_required
def list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    form = ListFilterForm(actor, request.GET or None)
    page = selectors.opportunity_list(
        actor, form.filters(), page=int_param(request.GET.get("page")) or 1
    )
    if page is None:
        raise Http404(_("没有这一页。"))
    template = "pipeline/list.html#results" if _htmx(request) else "pipeline/list.html"
    return render(request, template, {"page": page, "form": form})


def _lines(request: HttpRequest, opportunity: Opportunity | None = None) -> Any:
    if request.method == "POST":
        return LineFormSet(request.POST, prefix="lines")
    initial = line_initial(opportunity) if opportunity is not None else None
    return LineFormSet(initial=initial, prefix="lines")


@login_required
def create_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    raw = request.GET.get("customer") or request.POST.get("customer")
    if not raw:  # an opportunity is a customer's: opened from the customer's page
        messages.info(request, _("请打开客户页面，在“商机”卡片中新建商机。"))
        return redirect("customers:list")
    customer_id = int_param(raw)
    customer = access_customer(actor, customer_id)
    if not can_create_for(actor, customer):
        raise PermissionDenied
    form = OpportunityForm(actor, request.POST or None, initial={"owner": customer.owner_id})
    lines = _lines(request)
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        try:
            opportunity = opportunity_create(
                actor=actor,
                customer=customer,
                owner=form.cleaned_data["owner"],
                lines=lines_of(lines),
                **form.service_data(),
            )
        except (ValidationError, KehuError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("商机已创建。"))
            return redirect("pipeline:detail", opportunity_id=opportunity.pk)
    status = 422 if form.errors or (request.method == "POST" and not lines.is_valid()) else 200
    context = {"form": form, "lines": lines, "customer": customer, "opportunity": None}
    return render(request, "pipeline/form.html", context, status=status)


@login_required
def edit_view(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    actor = request_actor(request)
    opportunity = access_opportunity(actor, opportunity_id, write=True)
    form = OpportunityForm.for_change(actor, opportunity, request.POST or None)
    lines = _lines(request, opportunity)
    status = 200
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        try:
            opportunity_update(
                actor=actor,
                opportunity=opportunity,
                version=form.cleaned_data.get("version") or 0,
                data=form.service_data(),
                lines=lines_of(lines),
                owner=form.cleaned_data["owner"],
            )
        except KehuError as exc:  # a stale version: show it, keep what they typed
            form.add_error(None, exc.message)
            keep_input_after_conflict(form, request.POST, exc)
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("商机已保存。"))
            return redirect("pipeline:detail", opportunity_id=opportunity.pk)
    if request.method == "POST" and status == 200:
        status = 422
    context = {
        "form": form,
        "lines": lines,
        "customer": opportunity.customer,
        "opportunity": opportunity,
    }
    return render(request, "pipeline/form.html", context, status=status)


def _detail(
    request: HttpRequest, actor: User, opportunity: Opportunity, status: int = 200, **forms: Any
) -> HttpResponse:
    changes = can_change(actor, opportunity) and opportunity.is_open
    initial = {"version": opportunity.version}
    context = {
        "opportunity": opportunity,
        "lines": list(opportunity.lines.select_related("product")),
        "history": selectors.opportunity_history(opportunity),
        "can_change": can_change(actor, opportunity),
        "phases": phases_active() if changes else [],
        "win_form": forms.get("win_form") or (WinForm(initial=initial) if changes else None),
        "lose_form": forms.get("lose_form") or (LoseForm(initial=initial) if changes else None),
        "error": forms.get("error", ""),
        "stale": opportunity.is_stale(),
    }
    return render(request, "pipeline/detail.html", context, status=status)


@login_required
def detail_view(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    actor = request_actor(request)
    return _detail(request, actor, access_opportunity(actor, opportunity_id))


@login_required
@require_POST
def win_view(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    """Won, from the opportunity's page or a card dropped on the board's 赢单 column
    (htmx: 200 with the won card; refused with the reason as plain text, nothing
    changed, as a refused move)."""
    actor = request_actor(request)
    opportunity = access_opportunity(actor, opportunity_id, write=True)
    board = _htmx(request)
    form = WinForm(request.POST)
    if not form.is_valid():
        if board:
            return _refused(_("请刷新看板后再试。"), 422)
        return _detail(request, actor, opportunity, 422, win_form=form)
    try:
        opportunity = opportunity_win(
            actor=actor,
            opportunity=opportunity,
            version=form.cleaned_data["version"],
            payment_status=form.cleaned_data["payment_status"],
        )
    except KehuError as exc:
        if board:
            return _refused(exc.message, exc.status)
        return _detail(request, actor, opportunity, exc.status, error=exc.message)
    except ValidationError as exc:
        if board:
            return _refused(" ".join(exc.messages), 422)
        return _detail(request, actor, opportunity, 422, error=" ".join(exc.messages))
    if board:
        return render(request, "pipeline/board.html#won", {"won": opportunity})
    messages.success(request, _("已赢单，订单已记录。"))
    return redirect("pipeline:detail", opportunity_id=opportunity.pk)


@login_required
@require_POST
def lose_view(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    actor = request_actor(request)
    opportunity = access_opportunity(actor, opportunity_id, write=True)
    form = LoseForm(request.POST)
    if not form.is_valid():
        return _detail(request, actor, opportunity, 422, lose_form=form)
    try:
        opportunity_lose(
            actor=actor,
            opportunity=opportunity,
            version=form.cleaned_data["version"],
            reason=form.cleaned_data["loss_reason"],
            note=form.cleaned_data["loss_note"],
        )
    except KehuError as exc:
        return _detail(request, actor, opportunity, exc.status, error=exc.message)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _detail(request, actor, opportunity, 422, lose_form=form)
    messages.success(request, _("已标记为丢单。"))
    return redirect("pipeline:detail", opportunity_id=opportunity.pk)


@login_required
@require_POST
def delete_view(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    actor = request_actor(request)
    opportunity = access_opportunity(actor, opportunity_id, write=True)
    try:
        opportunity_delete(
            actor=actor,
            opportunity=opportunity,
            version=int_param(request.POST.get("version")) or 0,
        )
    except KehuError as exc:
        return _detail(request, actor, opportunity, exc.status, error=exc.message)
    messages.success(request, _("商机已删除。"))
    return redirect("pipeline:list")


@login_required
def forecast_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    form = ScopeForm(actor, request.GET or None)
    result = forecast(actor, form.scope())
    dated = [bucket for bucket in result.months if bucket.key]
    chart = {
        "config": chart_config(),
        "months": [bucket.key for bucket in dated],
        "amount": [float(bucket.amount) for bucket in dated],
        "weighted": [float(bucket.weighted) for bucket in dated],
    }
    context = {"form": form, "forecast": result, "chart": chart}
    return render(request, "pipeline/forecast.html", context)
