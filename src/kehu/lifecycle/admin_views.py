"""Admin pages of lifecycle models (生命周期模型): the model list with active/default
toggles, one model's stages and rules, and the rule editor with its preview of how many
customers a draft would move today. Admins only: others get 403, anonymous users the
login page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.models import User
from kehu.accounts.selectors import request_actor
from kehu.core.errors import ConflictError, KehuError
from kehu.core.forms import add_service_errors
from kehu.lifecycle.admin_forms import (
    ModelCreateForm,
    ModelForm,
    ModelToggleForm,
    RuleForm,
    RuleToggleForm,
    StageForm,
)
from kehu.lifecycle.admin_selectors import (
    access_models_admin,
    condition_examples,
    fact_reference,
    model_detail,
    models_overview,
    operator_reference,
    rule_draft_preview,
)
from kehu.lifecycle.apply import apply_panel, daily_next
from kehu.lifecycle.models import LifecycleModel, Rule, Stage
from kehu.lifecycle.services import (
    model_create,
    model_update,
    rule_draft,
    rule_save,
    stage_save,
)

NEW_RULE = {"priority": 100, "is_active": True, "condition": '{\n  "all": [\n  ]\n}'}


def _admin(request: HttpRequest) -> User:
    actor = request_actor(request)
    access_models_admin(actor)
    return actor


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _model(key: str) -> LifecycleModel:
    return get_object_or_404(LifecycleModel, key=key)


def _refusal(error: ValidationError | KehuError, name: str) -> str:
    if isinstance(error, ConflictError):
        return _("“%(name)s”已被他人修改，下面显示的是最新状态；请确认后重试。") % {"name": name}
    if isinstance(error, KehuError):
        return error.message
    return _("；").join(error.messages)


def _flash(request: HttpRequest, error: str) -> None:
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("已保存。"))


# --- the model list ---------------------------------------------------------------------------


@login_required
def models_view(request: HttpRequest) -> HttpResponse:
    _admin(request)
    return render(request, "lifecycle/models.html", {"rows": models_overview()})


@login_required
@require_POST
def model_toggle_view(request: HttpRequest, key: str) -> HttpResponse:
    actor, model = _admin(request), _model(key)
    form, error = ModelToggleForm(request.POST), ""
    if not form.is_valid():
        error = _("请求无效，请刷新页面后重试。")
    else:
        data = {form.cleaned_data["field"]: form.cleaned_data["value"]}
        try:
            model_update(actor=actor, model=model, data=data, version=form.cleaned_data["version"])
        except (ValidationError, KehuError) as refusal:
            error = _refusal(refusal, model.name)
    if not _htmx(request):
        _flash(request, error)
        return redirect("lifecycle:models")
    context = {"rows": models_overview(), "error": error, "error_key": model.key}
    return render(request, "lifecycle/models.html#models", context)


def _copy_initial(source: LifecycleModel | None) -> dict[str, Any]:
    if source is None:
        return {}
    taken = set(LifecycleModel.objects.values_list("key", flat=True))
    key = next(
        candidate
        for candidate in (f"{source.key[:30]}_copy{n or ''}" for n in range(len(taken) + 1))
        if candidate not in taken
    )
    name = _("%(name)s（副本）") % {"name": source.name}
    return {"copy_from": source.key, "key": key, "name": name, "description": source.description}


@login_required
def model_new_view(request: HttpRequest) -> HttpResponse:
    """A new model, empty or a copy of another (``?copy=KEY`` fills the form)."""
    actor = _admin(request)
    models = list(LifecycleModel.objects.order_by("position", "pk"))
    if request.method != "POST":
        source = next((m for m in models if m.key == request.GET.get("copy")), None)
        form = ModelCreateForm(initial=_copy_initial(source), models=models)
        return render(request, "lifecycle/model_new.html", {"form": form})
    form = ModelCreateForm(request.POST, models=models)
    if form.is_valid():
        data = form.cleaned_data
        source = next((m for m in models if m.key == data["copy_from"]), None)
        try:
            model = model_create(
                actor=actor,
                key=data["key"],
                name=data["name"],
                description=data["description"],
                copy_from=source,
            )
        except (ValidationError, KehuError) as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("已创建模型“%(name)s”（未启用）。检查阶段和规则后，在模型列表中启用。")
                % {"name": model.name},
            )
            return redirect("lifecycle:model", model.key)
    return render(request, "lifecycle/model_new.html", {"form": form}, status=422)


# --- one model: stages and rules ----------------------------------------------------------------


def _model_context(model: LifecycleModel, **extra: Any) -> dict[str, Any]:
    detail = model_detail(model)
    bound: dict[int, StageForm] = extra.pop("stage_forms", {})
    stage_rows = [
        (stage, bound.get(stage.pk) or StageForm(initial=StageForm.initial_for(stage)))
        for stage in detail.stages
    ]
    position = max((stage.position for stage in detail.stages), default=0) + 1
    new_form = extra.pop("new_form", None) or StageForm(
        new=True, initial={"position": position, "color": "#6c757d", "kind": "normal"}
    )
    model_form = extra.pop("model_form", None) or ModelForm(
        initial={"name": model.name, "description": model.description, "version": model.version}
    )
    return {
        "detail": detail,
        "model": model,
        "stage_rows": stage_rows,
        "new_form": new_form,
        "model_form": model_form,
        "apply": apply_panel(model),
        **extra,
    }


@login_required
def model_view(request: HttpRequest, key: str) -> HttpResponse:
    _admin(request)
    return render(request, "lifecycle/model.html", _model_context(_model(key)))


@login_required
@require_POST
def model_edit_view(request: HttpRequest, key: str) -> HttpResponse:
    actor, model = _admin(request), _model(key)
    form = ModelForm(request.POST)
    if form.is_valid():
        data = {name: form.cleaned_data[name] for name in ("name", "description")}
        try:
            model_update(actor=actor, model=model, data=data, version=form.cleaned_data["version"])
        except (ValidationError, KehuError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("模型已保存。"))
            return redirect("lifecycle:model", model.key)
    return render(
        request, "lifecycle/model.html", _model_context(model, model_form=form), status=422
    )


def _stage_submit(actor: User, model: LifecycleModel, form: StageForm, stage: Stage | None) -> bool:
    if not form.is_valid():
        return False
    try:
        stage_save(actor=actor, model=model, data=form.stage_data(), stage=stage)
    except (ValidationError, KehuError) as error:
        add_service_errors(form, error)
        return False
    return True


@login_required
@require_POST
def stage_edit_view(request: HttpRequest, key: str, stage_id: int) -> HttpResponse:
    actor, model = _admin(request), _model(key)
    stage = get_object_or_404(Stage, pk=stage_id, model=model)
    form = StageForm(request.POST)
    saved = _stage_submit(actor, model, form, stage)
    if saved and not _htmx(request):
        messages.success(request, _("阶段“%(name)s”已保存。") % {"name": form.cleaned_data["name"]})
        return redirect("lifecycle:model", model.key)
    forms = {} if saved else {stage.pk: form}
    context = _model_context(model, stage_forms=forms, saved=stage.pk if saved else None)
    if _htmx(request):
        return render(request, "lifecycle/model.html#stages", context)
    return render(request, "lifecycle/model.html", context, status=422)


@login_required
@require_POST
def stage_new_view(request: HttpRequest, key: str) -> HttpResponse:
    actor, model = _admin(request), _model(key)
    form = StageForm(request.POST, new=True)
    if _stage_submit(actor, model, form, None):
        messages.success(request, _("阶段“%(name)s”已添加。") % {"name": form.cleaned_data["name"]})
        return redirect("lifecycle:model", model.key)
    return render(request, "lifecycle/model.html", _model_context(model, new_form=form), status=422)


@login_required
@require_POST
def rule_toggle_view(request: HttpRequest, rule_id: int) -> HttpResponse:
    actor = _admin(request)
    rule = get_object_or_404(Rule.objects.select_related("model"), pk=rule_id)
    form, error = RuleToggleForm(request.POST), ""
    if not form.is_valid():
        error = _("请求无效，请刷新页面后重试。")
    else:
        data = {"is_active": form.cleaned_data["is_active"]}
        try:
            rule_save(
                actor=actor,
                model=rule.model,
                data=data,
                rule=rule,
                version=form.cleaned_data["version"],
            )
        except (ValidationError, KehuError) as refusal:
            error = _refusal(refusal, rule.name)
    if not _htmx(request):
        _flash(request, error)
        return redirect("lifecycle:model", rule.model.key)
    context = _model_context(rule.model, error=error, error_rule=rule.pk)
    return render(request, "lifecycle/model.html#rules", context)


# --- the rule editor ------------------------------------------------------------------------------


def _editor_context(
    model: LifecycleModel, rule: Rule | None, form: RuleForm, **extra: Any
) -> dict[str, Any]:
    return {
        "model": model,
        "rule": rule,
        "form": form,
        "facts": fact_reference(),
        "operators": operator_reference(),
        "examples": condition_examples(),
        **extra,
    }


def _rule_saved_text(rule: Rule, model: LifecycleModel) -> str:
    """Saved — and when it will move anyone: a model that is off, never; otherwise at the
    next daily run, or now if the admin applies it (the panel the page scrolls to)."""
    name = {"name": rule.name}
    if not model.is_active:
        return _("规则“%(name)s”已保存。模型未启用，启用后才会移动客户。") % name
    when = daily_next()
    if when is None:
        return _("规则“%(name)s”已保存。") % name
    return _(
        "规则“%(name)s”已保存。它将在下次每日评估（%(time)s）时应用到所有客户；"
        "也可以在下面现在就应用。"
    ) % {**name, "time": when.strftime("%Y-%m-%d %H:%M")}


def _rule_editor(
    request: HttpRequest, actor: User, model: LifecycleModel, rule: Rule | None
) -> HttpResponse:
    stages = list(model.stages.order_by("position", "pk"))
    if request.method != "POST":
        initial = RuleForm.initial_for(rule) if rule else NEW_RULE
        return render(
            request,
            "lifecycle/rule_form.html",
            _editor_context(model, rule, RuleForm(initial=initial, stages=stages)),
        )
    form = RuleForm(request.POST, stages=stages)
    if form.is_valid():
        try:
            saved = rule_save(
                actor=actor,
                model=model,
                data=form.rule_data(),
                rule=rule,
                version=form.cleaned_data["version"],
            )
        except (ValidationError, KehuError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _rule_saved_text(saved, model))
            return redirect(reverse("lifecycle:model", args=[model.key]) + "#apply")
    return render(
        request, "lifecycle/rule_form.html", _editor_context(model, rule, form), status=422
    )


@login_required
def rule_edit_view(request: HttpRequest, rule_id: int) -> HttpResponse:
    actor = _admin(request)
    rule = get_object_or_404(Rule.objects.select_related("model", "to_stage"), pk=rule_id)
    return _rule_editor(request, actor, rule.model, rule)


@login_required
def rule_new_view(request: HttpRequest, key: str) -> HttpResponse:
    actor = _admin(request)
    return _rule_editor(request, actor, _model(key), None)


def _preview(request: HttpRequest, model: LifecycleModel, rule: Rule | None) -> HttpResponse:
    form = RuleForm(request.POST, stages=list(model.stages.order_by("position", "pk")))
    preview = None
    if form.is_valid():
        # A fresh copy: the draft must not change the rule the page shows.
        current = Rule.objects.get(pk=rule.pk) if rule is not None else None
        try:
            draft = rule_draft(model=model, data=form.rule_data(), rule=current)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            preview = rule_draft_preview(draft, now=timezone.now())
    context = _editor_context(model, rule, form, preview=preview, previewed=True)
    if _htmx(request):
        return render(request, "lifecycle/_rule_preview.html", context)
    return render(request, "lifecycle/rule_form.html", context, status=200 if preview else 422)


@login_required
@require_POST
def rule_preview_view(request: HttpRequest, rule_id: int) -> HttpResponse:
    _admin(request)
    rule = get_object_or_404(Rule.objects.select_related("model", "to_stage"), pk=rule_id)
    return _preview(request, rule.model, rule)


@login_required
@require_POST
def rule_new_preview_view(request: HttpRequest, key: str) -> HttpResponse:
    _admin(request)
    return _preview(request, _model(key), None)
