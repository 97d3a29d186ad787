"""The care agenda (今日关怀), rules, festivals and cadences (admins)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kehu.accounts.selectors import request_actor
from kehu.care.access import (
    access_build,
    access_rules,
    can_act_on_items,
    can_build_agenda,
    can_edit_rules,
    can_send_greetings,
)
from kehu.care.forms import (
    AgendaFilterForm,
    BuildForm,
    CadenceForm,
    CareRuleForm,
    FestivalForm,
    GreetingForm,
)
from kehu.care.items import ItemRefusal, care_items_done, care_items_tasks_create
from kehu.care.models import CadenceRule, CareRule, Festival
from kehu.care.selectors import REASON_ORDER, agenda_groups, festivals_of_day, rules_list
from kehu.care.services import (
    cadence_delete,
    cadence_save,
    festival_save,
    greetings_send,
    rule_save,
)
from kehu.care.tasks import care_agenda_build_now
from kehu.core.errors import KehuError
from kehu.core.forms import add_service_errors
from kehu.customers.selectors import PageOutOfRange
from kehu.customers.views import int_param
from kehu.followups.forms import bulk_report

ITEM_REASONS = {
    ItemRefusal.HAS_TASK: gettext_lazy("%(n)d 项已有任务"),
    ItemRefusal.NO_TASK: gettext_lazy("%(n)d 项还没有任务"),
}


@login_required
def agenda_view(request: HttpRequest) -> HttpResponse:
    """The day's agenda grouped by reason, each group paged on its own (``<reason>_page``;
    a group's pager swaps that group alone)."""
    actor = request_actor(request)
    form = AgendaFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "care/agenda.html", {"form": form, "agenda": None}, status=422)
    day, reason = form.cleaned_data["date"], form.cleaned_data["reason"] or None
    pages = {r: int_param(request.GET.get(f"{r}_page")) for r in REASON_ORDER}
    try:
        agenda = agenda_groups(
            actor,
            day,
            pages={r: n for r, n in pages.items() if n is not None},
            page=form.cleaned_data["page"] or 1,
            reason=reason,
        )
    except PageOutOfRange:
        raise Http404 from None
    context = {
        "form": form,
        "agenda": agenda,
        "festivals": festivals_of_day(day),
        "may_build": can_build_agenda(actor),
        "may_send": can_send_greetings(actor),
        "may_act": can_act_on_items(actor),
        "may_edit": can_edit_rules(actor),
        "greeting_form": GreetingForm(),
    }
    target = request.headers.get("HX-Target", "").removeprefix("care-")
    group = next((g for g in agenda.groups if g.reason == target), None)
    if request.headers.get("HX-Request") and group is not None:
        return render(request, "care/_agenda_group.html", {**context, "group": group})
    template = (
        "care/agenda.html#results" if request.headers.get("HX-Request") else "care/agenda.html"
    )
    return render(request, template, context)


@login_required
@require_POST
def items_bulk_view(request: HttpRequest) -> HttpResponse:
    """The ticked lines: a task for each (``action=tasks``) or their tasks done."""
    actor = request_actor(request)
    back = reverse("care:agenda") + "?" + request.GET.urlencode()
    act = {"tasks": care_items_tasks_create, "done": care_items_done}.get(
        request.POST.get("action", "")
    )
    try:
        ids = [int(v) for v in request.POST.getlist("items")]
        if act is None:
            raise ValidationError(_("未知的操作。"))
        result = act(actor=actor, item_ids=ids)
    except ValueError:
        messages.error(request, _("所选记录无效。"))
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        report = bulk_report(len(result.done), result.refused.values(), ITEM_REASONS)
        (messages.warning if result.refused else messages.success)(request, report)
    return redirect(back)


@login_required
@require_POST
def agenda_build_view(request: HttpRequest) -> HttpResponse:
    access_build(request_actor(request))
    form = BuildForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors_text(form))
        return redirect("care:agenda")
    day = form.cleaned_data["date"]
    care_agenda_build_now(day.isoformat())
    messages.success(
        request, _("已开始生成 %(date)s 的关怀事项和任务。") % {"date": day.isoformat()}
    )
    return redirect(reverse("care:agenda") + f"?date={day.isoformat()}")


@login_required
@require_POST
def greetings_send_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    form = GreetingForm(request.POST)
    back = reverse("care:agenda") + "?" + request.GET.urlencode()
    if form.is_valid():
        try:
            greetings_send(actor=actor, item_ids=form.cleaned_data["items"], **_greeting(form))
        except ValidationError as error:
            messages.error(request, _("；").join(error.messages))
        else:
            messages.success(request, _("祝福已交给群发，可在群发页面查看发送进度。"))
    else:
        messages.error(request, _errors_text(form))
    return redirect(back)


def _errors_text(form: BaseForm) -> str:
    return _("；").join(str(e) for errors in form.errors.values() for e in errors)


def _greeting(form: GreetingForm) -> dict[str, Any]:
    return {k: form.cleaned_data[k] for k in ("channel", "body", "subject")}


# --- rules, festivals, cadences (admins) ------------------------------------------------------


@login_required
def rules_view(request: HttpRequest) -> HttpResponse:
    access_rules(request_actor(request))
    cadences = CadenceRule.objects.select_related("tag").order_by("-is_default", "days", "id")
    return render(
        request,
        "care/rules.html",
        {"rules": rules_list(), "cadences": cadences, "cadence_form": CadenceForm()},
    )


@login_required
def rule_edit_view(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    actor = request_actor(request)
    access_rules(actor)
    rule = get_object_or_404(CareRule, pk=rule_id) if rule_id else CareRule()
    form = CareRuleForm(request.POST or None, instance=rule, user=actor)
    if request.method == "POST" and form.is_valid():
        try:
            rule_save(
                actor=actor,
                rule=form.instance,
                version=form.cleaned_data["version"],
                festival_ids=[f.pk for f in form.cleaned_data["festivals"]],
            )
        except (ValidationError, KehuError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("关怀规则已保存。"))
            return redirect("care:rules")
    status = 422 if request.method == "POST" else 200
    return render(request, "care/rule_form.html", {"form": form, "rule": rule}, status=status)


@login_required
def festivals_view(request: HttpRequest) -> HttpResponse:
    access_rules(request_actor(request))
    return render(
        request, "care/festivals.html", {"festivals": Festival.objects.order_by("position", "id")}
    )


@login_required
def festival_edit_view(request: HttpRequest, festival_id: int | None = None) -> HttpResponse:
    actor = request_actor(request)
    access_rules(actor)
    festival = get_object_or_404(Festival, pk=festival_id) if festival_id else Festival()
    form = FestivalForm(request.POST or None, instance=festival)
    if request.method == "POST" and form.is_valid():
        try:
            festival_save(actor=actor, festival=form.instance, version=form.cleaned_data["version"])
        except (ValidationError, KehuError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("节日已保存。"))
            return redirect("care:festivals")
    status = 422 if request.method == "POST" else 200
    return render(
        request, "care/festival_form.html", {"form": form, "festival": festival}, status=status
    )


@login_required
@require_POST
def cadence_edit_view(request: HttpRequest, cadence_id: int | None = None) -> HttpResponse:
    actor = request_actor(request)
    access_rules(actor)
    cadence = get_object_or_404(CadenceRule, pk=cadence_id) if cadence_id else CadenceRule()
    if request.POST.get("action") == "delete" and cadence.pk:
        try:
            cadence_delete(actor=actor, cadence=cadence)
        except ValidationError as error:
            messages.error(request, _("；").join(error.messages))
        return redirect("care:rules")
    form = CadenceForm(request.POST, instance=cadence)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors.as_data())  # type: ignore[arg-type]
        cadence_save(actor=actor, cadence=form.instance, version=form.cleaned_data["version"])
    except (ValidationError, KehuError) as error:
        messages.error(request, getattr(error, "message", None) or _("；").join(error.messages))  # type: ignore[union-attr]
    else:
        messages.success(request, _("回访周期已保存。"))
    return redirect("care:rules")
