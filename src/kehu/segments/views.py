"""Segment pages: the list, the builder (new / edit, with a live count, a sample of 20
and the rule in words while editing), a segment's page (its size over time and its
members a page at a time), delete, and a static list's add / remove."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.selectors import request_actor
from kehu.core.charts import chart_config
from kehu.core.errors import KehuError
from kehu.core.forms import add_service_errors
from kehu.customers.access import access_customer
from kehu.customers.selectors import CustomerFilters, PageOutOfRange, customer_list
from kehu.messaging.access import can_send_any
from kehu.segments.access import access_segment, can_change
from kehu.segments.audience import rule_errors, rule_words
from kehu.segments.builder import builder_catalogue
from kehu.segments.forms import SegmentForm
from kehu.segments.models import Segment, SegmentSnapshot
from kehu.segments.selectors import rule_preview, segment_page, segments_list, sizes
from kehu.segments.services import (
    members_add,
    members_remove,
    segment_create,
    segment_delete,
    segment_update,
)


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


@login_required
def segments_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    rows = segments_list(actor)
    latest: dict[int, SegmentSnapshot] = {}
    for snap in SegmentSnapshot.objects.filter(segment__in=rows).order_by("segment_id", "date"):
        latest[snap.segment_id] = snap
    return render(
        request,
        "segments/list.html",
        {
            "rows": [
                {"segment": s, "size": latest.get(s.pk), "words": rule_words(s.rule)} for s in rows
            ]
        },
    )


def _builder(
    request: HttpRequest, form: SegmentForm, segment: Segment | None, *, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "segments/builder.html",
        {"form": form, "segment": segment, "catalogue": builder_catalogue(request_actor(request))},
        status=status,
    )


@login_required
def segment_new_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    if request.method != "POST":
        return _builder(request, SegmentForm(initial={"sharing": "private"}), None)
    form = SegmentForm(request.POST)
    if form.is_valid():
        try:
            segment = segment_create(actor=actor, data=form.segment_data())
        except (ValidationError, KehuError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已保存分群“%(name)s”。") % {"name": segment.name})
            return redirect("segments:detail", segment.pk)
    return _builder(request, form, None, status=422)


@login_required
def segment_edit_view(request: HttpRequest, segment_id: int) -> HttpResponse:
    actor = request_actor(request)
    segment = access_segment(actor, segment_id, write=True)
    if request.method != "POST":
        return _builder(request, SegmentForm(initial=SegmentForm.initial_for(segment)), segment)
    form = SegmentForm(request.POST)
    if form.is_valid():
        data = form.segment_data()
        data.pop("kind", None)
        try:
            segment_update(
                actor=actor, segment=segment, data=data, version=form.cleaned_data["version"]
            )
        except (ValidationError, KehuError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已保存分群“%(name)s”。") % {"name": segment.name})
            return redirect("segments:detail", segment.pk)
    return _builder(request, form, segment, status=422)


@login_required
@require_POST
def segment_preview_view(request: HttpRequest) -> HttpResponse:
    """The builder's live panel (htmx): the rule's problems, or its count among the
    customers the user sees, the rule in words and 20 of them."""
    actor = request_actor(request)
    text = request.POST.get("rule", "").strip()
    errors: list[str] = []
    rule: Any = None
    if not text:
        errors = [_("请添加至少一个条件。")]
    else:
        try:
            rule = json.loads(text)
        except ValueError:
            errors = [_("条件不是有效的 JSON。")]
    preview = rule_preview(actor, rule) if not errors else None
    return render(
        request,
        "segments/_preview.html",
        {
            "errors": errors or (preview.errors if preview else []),
            "preview": preview,
            "words": rule_words(rule) if preview and not preview.errors else "",
        },
    )


@login_required
def segment_detail_view(request: HttpRequest, segment_id: int) -> HttpResponse:
    actor = request_actor(request)
    segment = access_segment(actor, segment_id)
    errors = [] if segment.is_static else rule_errors(segment.rule)
    page = None
    if not errors:
        try:
            page = segment_page(actor, segment, _page_number(request))
        except PageOutOfRange:
            raise Http404 from None
    context = {
        "segment": segment,
        "errors": errors,
        "page": page,
        "words": rule_words(segment.rule),
        "may_change": can_change(actor, segment),
        "may_message": can_send_any(actor),
    }
    if getattr(request, "htmx", False) and request.GET.get("page"):
        return render(request, "segments/_members.html", context)
    history = sizes(segment)
    context["chart"] = {
        "config": chart_config(),
        "dates": [day.isoformat() for day, _size in history],
        "sizes": [size for _day, size in history],
    }
    context["history"] = history
    return render(request, "segments/detail.html", context)


@login_required
@require_POST
def segment_delete_view(request: HttpRequest, segment_id: int) -> HttpResponse:
    actor = request_actor(request)
    segment = access_segment(actor, segment_id, write=True)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        segment_delete(actor=actor, segment=segment, version=version)
    except KehuError as error:
        messages.error(request, error.message)
        return redirect("segments:detail", segment.pk)
    messages.success(request, _("已删除分群“%(name)s”。") % {"name": segment.name})
    return redirect("segments:list")


@login_required
def member_search_view(request: HttpRequest, segment_id: int) -> HttpResponse:
    """A static list's "add customers" search (htmx): up to 10 customers the user sees."""
    actor = request_actor(request)
    segment = access_segment(actor, segment_id, write=True)
    q = request.GET.get("q", "").strip()[:100]
    found = customer_list(actor, CustomerFilters(q=q), page_size=10).items if q else []
    return render(request, "segments/_member_search.html", {"segment": segment, "found": found})


@login_required
@require_POST
def member_add_view(request: HttpRequest, segment_id: int) -> HttpResponse:
    actor = request_actor(request)
    segment = access_segment(actor, segment_id, write=True)
    try:
        customer_id = int(request.POST.get("customer", ""))
    except ValueError:
        messages.error(request, _("请选择要加入的客户。"))
        return redirect("segments:detail", segment.pk)
    try:
        added = members_add(actor=actor, segment=segment, customer_ids=[customer_id])
    except ValidationError:
        raise PermissionDenied from None
    if added:
        messages.success(request, _("已加入名单。"))
    return redirect("segments:detail", segment.pk)


@login_required
@require_POST
def member_remove_view(request: HttpRequest, segment_id: int, customer_id: int) -> HttpResponse:
    actor = request_actor(request)
    segment = access_segment(actor, segment_id, write=True)
    customer = access_customer(actor, customer_id)
    try:
        members_remove(actor=actor, segment=segment, customer_ids=[customer.pk])
    except (ValidationError, PermissionDenied):
        raise PermissionDenied from None
    return redirect("segments:detail", segment.pk)
