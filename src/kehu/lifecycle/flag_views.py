"""Admin pages of manual flags (人工标记): the list with a form to add one, the edit form,
retire / bring back. Admins only (others 403). Setting a flag on a customer is on the
customer's lifecycle card (``views.customer_flags_view``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.models import User
from kehu.accounts.selectors import request_actor
from kehu.core.errors import ConflictError, KehuError
from kehu.core.forms import add_service_errors
from kehu.lifecycle.admin_forms import FlagForm, FlagRetireForm
from kehu.lifecycle.flags import access_flags_admin, flag_create, flag_update, flags_overview
from kehu.lifecycle.models import Flag

NEW_FLAG = {"color": "#6c757d"}


def _admin(request: HttpRequest) -> User:
    actor = request_actor(request)
    access_flags_admin(actor)
    return actor


def _flag(key: str) -> Flag:
    return get_object_or_404(Flag, key=key)


def _list(request: HttpRequest, form: FlagForm, *, status: int = 200) -> HttpResponse:
    return render(
        request, "lifecycle/flags.html", {"rows": flags_overview(), "form": form}, status=status
    )


@login_required
def flags_view(request: HttpRequest) -> HttpResponse:
    """The flags with how many customers have each and the rules that read it; POST adds
    one."""
    actor = _admin(request)
    if request.method != "POST":
        return _list(request, FlagForm(new=True, initial=NEW_FLAG))
    form = FlagForm(request.POST, new=True)
    if form.is_valid():
        try:
            flag = flag_create(actor=actor, key=form.cleaned_data["key"], **form.flag_data())
        except (ValidationError, KehuError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已添加标记“%(name)s”。") % {"name": flag.name})
            return redirect("lifecycle:flag_list")
    return _list(request, form, status=422)


def _edit_form(flag: Flag) -> FlagForm:
    initial = {
        "name": flag.name,
        "color": flag.color,
        "description": flag.description,
        "version": flag.version,
    }
    return FlagForm(initial=initial)


@login_required
def flag_edit_view(request: HttpRequest, key: str) -> HttpResponse:
    actor, flag = _admin(request), _flag(key)
    if request.method != "POST":
        return render(request, "lifecycle/flag_form.html", {"flag": flag, "form": _edit_form(flag)})
    form = FlagForm(request.POST)
    if form.is_valid():
        try:
            flag_update(
                actor=actor, flag=flag, data=form.flag_data(), version=form.cleaned_data["version"]
            )
        except ConflictError:
            flag.refresh_from_db()
            context = {"flag": flag, "form": _edit_form(flag), "conflict": True}
            return render(request, "lifecycle/flag_form.html", context, status=409)
        except (ValidationError, KehuError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("标记已保存。"))
            return redirect("lifecycle:flag_list")
    return render(request, "lifecycle/flag_form.html", {"flag": flag, "form": form}, status=422)


@login_required
@require_POST
def flag_retire_view(request: HttpRequest, key: str) -> HttpResponse:
    """Retire a flag (nobody sets it any more) or bring it back."""
    actor, flag = _admin(request), _flag(key)
    form = FlagRetireForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请求无效，请刷新页面后重试。"))
        return redirect("lifecycle:flag_list")
    retired = form.cleaned_data["retired"]
    try:
        flag_update(
            actor=actor, flag=flag, data={"retired": retired}, version=form.cleaned_data["version"]
        )
    except KehuError as error:
        messages.error(request, error.message)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        done = _("已停用标记“%(name)s”。") if retired else _("已恢复标记“%(name)s”。")
        messages.success(request, done % {"name": flag.name})
    return redirect("lifecycle:flag_list")
