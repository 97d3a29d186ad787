"""Pages: the playbooks, one playbook's form and report, starting by hand (for a
customer, for a segment) and stopping a run."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.selectors import request_actor
from kehu.core.charts import chart_config
from kehu.core.errors import ConflictError
from kehu.core.forms import add_service_errors, keep_input_after_conflict
from kehu.customers.access import access_customer
from kehu.retention.access import (
    access_playbook,
    access_playbooks,
    access_run,
    can_edit_playbooks,
)
from kehu.retention.forms import (
    PlaybookForm,
    ReportForm,
    SegmentStartForm,
    StartForm,
    StepFormSet,
    StopForm,
    steps_initial,
)
from kehu.retention.report import Report, playbook_report
from kehu.retention.selectors import playbooks_list
from kehu.retention.services import (
    playbook_create,
    playbook_start,
    playbook_update,
    run_stop,
)
from kehu.retention.starting import StartResult, refusal_text
from kehu.segments.access import access_segment
from kehu.segments.selectors import members


def _chart(report: Report) -> dict[str, Any]:
    rows = report.rows
    return {
        "config": chart_config(),
        "labels": [r.label for r in rows],
        "treated": [round(r.save_rate * 100, 1) if r.save_rate is not None else None for r in rows],
        "held_out": [
            round(r.held_out_rate * 100, 1) if r.held_out_rate is not None else None for r in rows
        ],
    }


@login_required
def playbook_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    access_playbooks(actor)
    report = playbook_report(by="playbook")
    return render(
        request,
        "retention/list.html",
        {
            "playbooks": playbooks_list(),
            "report": report,
            "chart": _chart(report),
            "may_edit": can_edit_playbooks(actor),
        },
    )


def _steps_data(formset: Any) -> list[dict[str, Any]]:
    return [data for form in formset.forms if (data := form.step_data()) is not None]


@login_required
def playbook_edit_view(request: HttpRequest, playbook_id: int | None = None) -> HttpResponse:
    actor = request_actor(request)
    playbook = access_playbook(actor, playbook_id, write=True) if playbook_id else None
    if playbook is None:
        access_playbooks(actor, write=True)
    if request.method == "POST":
        form = PlaybookForm(request.POST, actor=actor)
        formset = StepFormSet(request.POST, prefix="steps")
        if form.is_valid() and formset.is_valid():
            try:
                if playbook is None:
                    playbook = playbook_create(
                        actor=actor, data=form.service_data(), steps=_steps_data(formset)
                    )
                else:
                    playbook = playbook_update(
                        actor=actor,
                        playbook=playbook,
                        version=form.cleaned_data["version"] or 0,
                        data=form.service_data(),
                        steps=_steps_data(formset),
                    )
                messages.success(request, _("已保存挽留方案。"))
                return redirect("retention:report", playbook_id=playbook.pk)
            except ConflictError as error:
                add_service_errors(form, error)
                keep_input_after_conflict(form, request.POST, error)
            except ValidationError as error:
                add_service_errors(form, error)
    elif playbook is not None:
        form = PlaybookForm(initial=PlaybookForm.initial_of(playbook), actor=actor)
        formset = StepFormSet(initial=steps_initial(playbook), prefix="steps")
    else:
        form = PlaybookForm(actor=actor)
        formset = StepFormSet(prefix="steps")
    return render(
        request,
        "retention/edit.html",
        {"form": form, "formset": formset, "playbook": playbook},
    )


@login_required
def playbook_report_view(request: HttpRequest, playbook_id: int) -> HttpResponse:
    actor = request_actor(request)
    playbook = access_playbook(actor, playbook_id)
    # One playbook's report is by owner unless asked: the select shows it so.
    form = ReportForm(request.GET or None, initial={"by": "owner"})
    by = form.grouping() if form.is_bound else "owner"
    report = playbook_report(by=by, playbook=playbook)  # its total: the playbook's figures
    context = {
        "playbook": playbook,
        "steps": playbook.steps.select_related("template", "coupon", "owner"),
        "form": form,
        "summary": report.total,
        "report": report,
        "chart": _chart(report),
        "may_edit": can_edit_playbooks(actor),
        "segment_form": SegmentStartForm(actor=actor),
    }
    return render(request, "retention/report.html", context)


def _started_message(request: HttpRequest, result: StartResult) -> None:
    if result.started:
        messages.success(
            request,
            _("已为 %(n)d 位客户启动（其中 %(held)d 位进入对照组，不执行步骤）。")
            % {"n": len(result.started), "held": len(result.held_out)},
        )
    reasons: dict[str, int] = {}
    for code in result.refused.values():
        reasons[code] = reasons.get(code, 0) + 1
    for code, n in reasons.items():
        messages.warning(request, _("%(n)d 位客户未启动：") % {"n": n} + refusal_text(code))


@login_required
@require_POST
def customer_start_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = request_actor(request)
    access_playbooks(actor, write=True)
    customer = access_customer(actor, customer_id, write=True)
    form = StartForm(request.POST)
    if form.is_valid():
        try:
            result = playbook_start(
                actor=actor, playbook=form.cleaned_data["playbook"], customer_ids=[customer.pk]
            )
            _started_message(request, result)
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
    else:
        messages.error(request, _("请选择一个启用中的挽留方案。"))
    return redirect(reverse("customers:detail", args=[customer.pk]) + "#retention")


@login_required
@require_POST
def segment_start_view(request: HttpRequest, playbook_id: int) -> HttpResponse:
    actor = request_actor(request)
    playbook = access_playbook(actor, playbook_id, write=True)
    form = SegmentStartForm(request.POST, actor=actor)
    if form.is_valid():
        segment = access_segment(actor, form.cleaned_data["segment"].pk)
        ids = list(members(actor, segment).values_list("pk", flat=True))
        try:
            _started_message(
                request, playbook_start(actor=actor, playbook=playbook, customer_ids=ids)
            )
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
    else:
        messages.error(request, _("请选择客户分群。"))
    return redirect("retention:report", playbook_id=playbook.pk)


@login_required
@require_POST
def run_stop_view(request: HttpRequest, run_id: int) -> HttpResponse:
    actor = request_actor(request)
    run = access_run(actor, run_id, write=True)
    form = StopForm(request.POST)
    if form.is_valid():
        try:
            run_stop(actor=actor, run=run, reason=form.cleaned_data["reason"])
            messages.success(request, _("已停止挽留方案。"))
        except (ValidationError, ConflictError) as error:
            text = error.message if isinstance(error, ConflictError) else "；".join(error.messages)
            messages.error(request, text)
    else:
        messages.error(request, _("请填写停止原因。"))
    return redirect(reverse("customers:detail", args=[run.customer_id]) + "#retention")
