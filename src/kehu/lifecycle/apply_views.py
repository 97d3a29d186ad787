"""Apply a model's rules to every customer now (admins): start or join the job, and its
progress page, polled by htmx while the run is queued or running."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.models import User
from kehu.accounts.selectors import request_actor
from kehu.core.errors import KehuError
from kehu.lifecycle.admin_selectors import access_models_admin
from kehu.lifecycle.apply import ApplyProgress, apply_run_of, lifecycle_apply_request
from kehu.lifecycle.models import LifecycleModel


def _admin(request: HttpRequest) -> User:
    actor = request_actor(request)
    access_models_admin(actor)
    return actor


@login_required
@require_POST
def apply_view(request: HttpRequest, key: str) -> HttpResponse:
    actor = _admin(request)
    model = get_object_or_404(LifecycleModel, key=key)
    try:
        run, created = lifecycle_apply_request(actor=actor, model=model)
    except KehuError as error:
        messages.error(request, error.message)
        return redirect("lifecycle:model", model.key)
    if not created:
        messages.info(request, _("这个模型的规则已经在应用中，下面是它的进度。"))
    return redirect("lifecycle:apply_progress", model.key, run.pk)


@login_required
def apply_progress_view(request: HttpRequest, key: str, run_id: int) -> HttpResponse:
    _admin(request)
    model = get_object_or_404(LifecycleModel, key=key)
    context = {"model": model, "progress": ApplyProgress(apply_run_of(model, run_id))}
    if getattr(request, "htmx", False) and request.GET.get("part") == "progress":
        return render(request, "lifecycle/apply.html#progress", context)
    return render(request, "lifecycle/apply.html", context)
