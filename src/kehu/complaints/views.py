"""Complaint pages: the queue, a complaint with its workflow, the new-complaint form,
and the incident (危机) pages. Thin: access helpers, selectors, services."""

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
from kehu.complaints import selectors
from kehu.complaints.access import (
    access_complaint,
    access_incident,
    can_handle,
    can_log_complaint,
    can_manage_incidents,
)
from kehu.complaints.forms import (
    ComplaintForm,
    IncidentForm,
    IncidentStatusForm,
    IncidentUpdateForm,
    QueueFilterForm,
    TransitionForm,
)
from kehu.complaints.models import Complaint, Incident, IncidentStatus, Status
from kehu.complaints.services import (
    allowed_transitions,
    complaint_create,
    complaint_transition,
    complaint_update,
    incident_change,
    incident_create,
    incident_update_send,
)
from kehu.core.errors import KehuError
from kehu.core.forms import add_service_errors
from kehu.customers.access import access_customer
from kehu.customers.selectors import PageOutOfRange
from kehu.customers.views import int_param


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


@login_required
def queue_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    form = QueueFilterForm(request.GET or None)
    try:
        page = selectors.complaint_list(
            actor, form.filters(), page=int_param(request.GET.get("page")) or 1
        )
    except PageOutOfRange:
        raise Http404(_("没有这一页。")) from None
    template = "complaints/queue.html#results" if _htmx(request) else "complaints/queue.html"
    context = {"page": page, "form": form, "counts": selectors.queue_counts(actor)}
    return render(request, template, context)


@login_required
def complaint_create_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = request_actor(request)
    customer = access_customer(actor, customer_id)
    if not can_log_complaint(actor, customer):
        raise PermissionDenied
    form = ComplaintForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = complaint_create(actor=actor, customer=customer, data=form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("投诉已登记。"))
            return redirect("complaints:detail", complaint_id=complaint.pk)
    status = 422 if form.errors else 200
    return render(
        request, "complaints/form.html", {"form": form, "customer": customer}, status=status
    )


def _actions(status: str) -> list[dict[str, str]]:
    """The workflow buttons of a complaint in ``status``: target, label, what it asks."""
    labels = {
        Status.RECORDED: _("登记"),
        Status.HANDLING: _("开始处理"),
        Status.FEEDBACK: _("已反馈客户"),
        Status.CLOSED: _("关闭投诉"),
    }
    if status == Status.FEEDBACK:
        labels[Status.HANDLING] = _("客户不满意，继续处理")
    elif status == Status.CLOSED:
        labels[Status.HANDLING] = _("重新打开")
    return [{"status": to, "label": str(labels[Status(to)])} for to in allowed_transitions(status)]


def _detail_context(actor: User, complaint: Complaint, **forms: Any) -> dict[str, Any]:
    handles = can_handle(actor, complaint)
    return {
        "complaint": complaint,
        "can_handle": handles,
        "actions": _actions(complaint.status) if handles else [],
        "steps": selectors.complaint_steps(complaint),
        "escalations": selectors.complaint_escalations(complaint),
        "edit_form": forms.get("edit_form")
        or (ComplaintForm.for_change(complaint) if handles else None),
        "move_form": forms.get("move_form"),
        "move_error": forms.get("move_error", ""),
    }


@login_required
def complaint_detail_view(request: HttpRequest, complaint_id: int) -> HttpResponse:
    actor = request_actor(request)
    complaint = access_complaint(actor, complaint_id)
    return render(request, "complaints/detail.html", _detail_context(actor, complaint))


@login_required
@require_POST
def complaint_transition_view(request: HttpRequest, complaint_id: int) -> HttpResponse:
    actor = request_actor(request)
    complaint = access_complaint(actor, complaint_id, write=True)
    form: TransitionForm | None = TransitionForm(request.POST)
    assert form is not None
    error = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            complaint = complaint_transition(
                actor=actor,
                complaint=complaint,
                version=data["version"],
                to_status=data["status"],
                note=data["note"],
                feedback=data["feedback"],
                customer_response=data["customer_response"],
                close_reason=data["close_reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except KehuError as exc:  # stale version, illegal move: show it, keep the text
            error = exc.message
        else:
            if not _htmx(request):
                messages.success(request, _("投诉状态已更新。"))
                return redirect("complaints:detail", complaint_id=complaint.pk)
            form = None
    complaint = access_complaint(actor, complaint.pk)
    context = _detail_context(actor, complaint, move_form=form, move_error=error)
    if _htmx(request):
        return render(request, "complaints/detail.html#workflow", context)
    return render(request, "complaints/detail.html", context, status=409 if error else 422)


@login_required
@require_POST
def complaint_update_view(request: HttpRequest, complaint_id: int) -> HttpResponse:
    actor = request_actor(request)
    complaint = access_complaint(actor, complaint_id, write=True)
    form = ComplaintForm.for_change(complaint, request.POST)
    version = int_param(request.POST.get("version")) or 0
    if form.is_valid():
        try:
            complaint_update(
                actor=actor, complaint=complaint, version=version, data=form.service_data()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except KehuError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("投诉已保存。"))
            return redirect("complaints:detail", complaint_id=complaint.pk)
    complaint = access_complaint(actor, complaint.pk)
    context = _detail_context(actor, complaint, edit_form=form)
    return render(
        request, "complaints/detail.html", context, status=409 if form.non_field_errors() else 422
    )


# --- incidents -------------------------------------------------------------------------------


@login_required
def incident_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    status = request.GET.get("status", "")
    status = status if status in IncidentStatus.values else ""
    context = {
        "incidents": selectors.incident_list(status=status),
        "status": status,
        "statuses": IncidentStatus.choices,
        "can_manage": can_manage_incidents(actor),
    }
    return render(request, "complaints/incidents.html", context)


@login_required
def incident_create_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    if not can_manage_incidents(actor):
        raise PermissionDenied
    form = IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = incident_create(actor=actor, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("危机事件已创建。"))
            return redirect("complaints:incident", incident_id=incident.pk)
    status = 422 if form.errors else 200
    return render(request, "complaints/incident_form.html", {"form": form}, status=status)


def _incident_page(
    request: HttpRequest, actor: User, incident: Incident, status: int = 200, **forms: Any
) -> HttpResponse:
    manage = can_manage_incidents(actor)
    context = {
        "incident": incident,
        "affected": selectors.incident_affected(actor, incident),
        "totals": selectors.incident_totals(incident),
        "updates": selectors.incident_updates(incident),
        "can_manage": manage,
        "status_form": IncidentStatusForm(
            initial={"status": incident.status, "version": incident.version}
        )
        if manage
        else None,
        "update_form": forms.get("update_form") or (IncidentUpdateForm() if manage else None),
        "error": forms.get("error", ""),
    }
    return render(request, "complaints/incident.html", context, status=status)


@login_required
def incident_detail_view(request: HttpRequest, incident_id: int) -> HttpResponse:
    actor = request_actor(request)
    return _incident_page(request, actor, access_incident(actor, incident_id))


@login_required
@require_POST
def incident_status_view(request: HttpRequest, incident_id: int) -> HttpResponse:
    actor = request_actor(request)
    incident = access_incident(actor, incident_id, write=True)
    form = IncidentStatusForm(request.POST)
    if not form.is_valid():
        return _incident_page(request, actor, incident, 422, error=_("状态无效。"))
    try:
        incident_change(
            actor=actor,
            incident=incident,
            version=form.cleaned_data["version"],
            status=form.cleaned_data["status"],
        )
    except KehuError as exc:
        return _incident_page(request, actor, incident, 409, error=exc.message)
    messages.success(request, _("危机事件状态已更新。"))
    return redirect("complaints:incident", incident_id=incident.pk)


@login_required
@require_POST
def incident_update_view(request: HttpRequest, incident_id: int) -> HttpResponse:
    actor = request_actor(request)
    incident = access_incident(actor, incident_id, write=True)
    form = IncidentUpdateForm(request.POST)
    if form.is_valid():
        try:
            update = incident_update_send(actor=actor, incident=incident, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except KehuError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("通报已提交发送，共 %(n)d 位客户。") % {"n": update.customer_count},
            )
            return redirect("complaints:incident", incident_id=incident.pk)
    return _incident_page(request, actor, incident, 422, update_form=form)
