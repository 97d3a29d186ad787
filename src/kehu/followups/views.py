"""My work today, follow-up tasks, notifications and the calendar feed."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import EmptyPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from icalendar import Calendar, Event

from kehu.accounts.models import User
from kehu.accounts.selectors import request_actor
from kehu.core.errors import KehuError
from kehu.core.forms import add_service_errors
from kehu.customers.access import access_customer, can_log_interaction
from kehu.customers.views import int_param
from kehu.followups.forms import BulkForm, FinishForm, TaskForm, bulk_report
from kehu.followups.models import CalendarFeed, Notification
from kehu.followups.selectors import (
    WORK_GROUPS,
    WorkDay,
    calendar_tasks,
    my_work,
    notifications_of,
    tasks_visible_to,
)
from kehu.followups.services import (
    calendar_feed_create,
    calendar_feed_revoke,
    calendar_feed_user,
    task_create,
    task_finish,
)


def _back(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def _work(request: HttpRequest, actor: User) -> WorkDay:
    """My work as the query string asks: ``team=1``, ``kind``, ``<section>_page``."""
    get = request.GET
    pages = {key: int_param(get.get(f"{key}_page")) or 1 for key in WORK_GROUPS}
    return my_work(actor, team=get.get("team") == "1", kind=get.get("kind", "")[:10], pages=pages)


@login_required
def my_work_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    work = _work(request, actor)
    # A section's pager swaps that section alone (its links target ``#group-<key>``).
    part = request.headers.get("HX-Target", "").removeprefix("group-")
    if getattr(request, "htmx", False) and part in WORK_GROUPS:
        group = getattr(work, part)
        return render(request, "followups/_work_group.html", {"work": work, "group": group})
    feed = CalendarFeed.objects.filter(user=actor, revoked_at__isnull=True).first()
    return render(
        request,
        "followups/my_work.html",
        {
            "work": work,
            "may_see_team": actor.role == "manager" or actor.is_admin_role,
            "feed": feed,
            "feed_url": request.session.pop("kehu_new_feed_url", None),
            "bulk_form": BulkForm(),
        },
    )


@login_required
@require_POST
def tasks_bulk_view(request: HttpRequest) -> HttpResponse:
    """Finish, skip or postpone the ticked tasks; says which were refused and why."""
    actor = request_actor(request)
    form = BulkForm(request.POST)
    report, level = "", "success"
    if not form.is_valid():
        report = "；".join(str(e) for errors in form.errors.values() for e in errors)
        level = "danger"
    else:
        try:
            result = form.apply(actor)
        except ValidationError as error:
            report, level = "；".join(error.messages), "danger"
        else:
            report = bulk_report(len(result.done), result.refused.values())
            level = "warning" if result.refused else "success"
    if not getattr(request, "htmx", False):
        getattr(messages, "error" if level == "danger" else level)(request, report)
        return redirect(_back(request, reverse("followups:my_work")))
    work = _work(request, actor)
    bulk_form = form if level == "danger" else BulkForm()
    context = {"work": work, "bulk_form": bulk_form, "report": report, "level": level}
    status = 422 if level == "danger" else 200
    return render(request, "followups/_work.html", context, status=status)


@login_required
@require_POST
def task_create_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = request_actor(request)
    customer = access_customer(actor, customer_id)
    if not can_log_interaction(actor, customer):
        raise PermissionDenied
    form = TaskForm(request.POST, actor=actor)
    if form.is_valid():
        try:
            task_create(actor=actor, customer=customer, **form.service_arguments())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已安排回访。"))
            return redirect(reverse("customers:detail", args=[customer.pk]) + "#tasks")
    return render(
        request, "followups/task_form.html", {"form": form, "customer": customer}, status=422
    )


@login_required
@require_POST
def task_finish_view(request: HttpRequest, task_id: int) -> HttpResponse:
    actor = request_actor(request)
    task = get_object_or_404(tasks_visible_to(actor).select_related("assignee"), pk=task_id)
    form = FinishForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择完成或跳过。"))
    else:
        try:
            task_finish(
                actor=actor,
                task=task,
                status=form.cleaned_data["status"],
                result=form.cleaned_data["result"],
            )
        except (KehuError, ValidationError) as error:
            messages.error(request, getattr(error, "message", None) or _("；").join(error.messages))  # type: ignore[union-attr]
        else:
            messages.success(request, _("已更新回访任务。"))
    return redirect(_back(request, reverse("followups:my_work")))


@login_required
def notifications_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    paginator = Paginator(notifications_of(actor), 30)
    try:
        page = paginator.page(int(request.GET.get("page") or 1))
    except (EmptyPage, ValueError):
        raise Http404 from None
    return render(request, "followups/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_read_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    Notification.objects.filter(user=actor, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("followups:notifications")


@login_required
def notification_open_view(request: HttpRequest, notification_id: int) -> HttpResponse:
    actor = request_actor(request)
    note = get_object_or_404(Notification, pk=notification_id, user=actor)
    if note.read_at is None:
        Notification.objects.filter(pk=note.pk).update(read_at=timezone.now())
    return redirect(note.url or reverse("followups:notifications"))


@login_required
@require_POST
def calendar_feed_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    if request.POST.get("action") == "revoke":
        calendar_feed_revoke(user=actor)
        messages.success(request, _("日历订阅链接已停用。"))
    else:
        _feed, raw = calendar_feed_create(user=actor)
        request.session["kehu_new_feed_url"] = settings.KEHU_BASE_URL + reverse(
            "followups:calendar", args=[raw]
        )
        messages.success(request, _("已生成新的日历订阅链接，旧链接已停用。"))
    return redirect("followups:my_work")


def calendar_ics_view(request: HttpRequest, token: str) -> HttpResponse:
    """The secret feed: no login (calendar apps cannot log in), the token is the key."""
    user = calendar_feed_user(token)
    if user is None:
        raise Http404
    cal = Calendar()
    cal.add("prodid", "-//Kehu//CRM//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Kehu · {user.label}")
    for task in calendar_tasks(user):
        event = Event()
        event.add("uid", f"task-{task.pk}@kehu")
        event.add("summary", f"{task.title_text} · {task.customer.name}")
        event.add("dtstart", task.due_at)
        event.add("dtend", task.due_at + dt.timedelta(minutes=30))
        event.add("dtstamp", task.updated_at)
        event.add("description", task.notes_text)
        event.add(
            "url", settings.KEHU_BASE_URL + reverse("customers:detail", args=[task.customer_id])
        )
        cal.add_component(event)
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
