"""Forms of the lifecycle admin pages: a rule (condition as JSON), a stage, a model
toggle. They parse what was typed; the services validate and save."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kehu.lifecycle.models import Rule, Stage, StageKind

MAX_CONDITION = 20_000
PRIORITY_LIMIT = 1_000_000


def _style(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        elif not isinstance(widget, forms.HiddenInput):
            widget.attrs.setdefault("class", "form-control")


class RuleForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    from_stages = forms.MultipleChoiceField(
        label=_("起始阶段"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("都不选：从任意阶段（含尚未进入模型的客户）"),
    )
    to_stage = forms.ChoiceField(label=_("目标阶段"))
    priority = forms.IntegerField(
        label=_("优先级"),
        min_value=-PRIORITY_LIMIT,
        max_value=PRIORITY_LIMIT,
        help_text=_("数字小的先判断；第一条成立的规则生效"),
    )
    is_active = forms.BooleanField(label=_("启用"), required=False)
    condition = forms.CharField(
        label=_("条件（JSON）"),
        max_length=MAX_CONDITION,
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false", "class": "font-monospace"}),
    )
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, stages: Sequence[Stage], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(stage.key, stage.name) for stage in stages]
        self.fields["from_stages"].choices = choices  # type: ignore[attr-defined]
        self.fields["to_stage"].choices = choices  # type: ignore[attr-defined]
        _style(self)
        self.fields["condition"].widget.attrs["class"] = "form-control font-monospace"

    @classmethod
    def initial_for(cls, rule: Rule) -> dict[str, Any]:
        return {
            "name": rule.name,
            "from_stages": list(rule.from_stages or ()),
            "to_stage": rule.to_stage.key if rule.to_stage_id else "",
            "priority": rule.priority,
            "is_active": rule.is_active,
            "condition": json.dumps(rule.condition, ensure_ascii=False, indent=2)
            if rule.condition is not None
            else "",
            "version": rule.version if rule.pk else None,
        }

    def clean_condition(self) -> Any:
        text = self.cleaned_data["condition"]
        try:
            return json.loads(text)
        except ValueError as error:
            raise ValidationError(
                _("条件不是有效的 JSON（第 %(line)d 行第 %(column)d 列）：%(message)s"),
                params={
                    "line": getattr(error, "lineno", 0),
                    "column": getattr(error, "colno", 0),
                    "message": getattr(error, "msg", str(error)),
                },
            ) from None

    def rule_data(self) -> dict[str, Any]:
        """What the services take (``rule_draft`` / ``rule_save``)."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "from_stages": list(data["from_stages"]),
            "to_stage": data["to_stage"],
            "priority": data["priority"],
            "is_active": data["is_active"],
            "condition": data["condition"],
        }


class StageForm(forms.Form):
    key = forms.SlugField(
        label=_("标识"), max_length=40, required=False, help_text=_("英文字母、数字、-、_")
    )
    name = forms.CharField(label=_("名称"), max_length=50)
    color = forms.CharField(
        label=_("颜色"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "color", "class": "form-control form-control-color"}),
    )
    description = forms.CharField(
        label=_("说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    position = forms.IntegerField(label=_("顺序"), min_value=0, max_value=32767)
    kind = forms.ChoiceField(label=_("类型"), choices=StageKind.choices)

    def __init__(self, *args: Any, new: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.new = new
        if new:
            self.fields["key"].required = True
        else:
            del self.fields["key"]
        _style(self)

    @staticmethod
    def initial_for(stage: Stage) -> dict[str, Any]:
        return {
            "name": stage.name,
            "color": stage.color,
            "description": stage.description,
            "position": stage.position,
            "kind": stage.kind,
        }

    def stage_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ModelForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    description = forms.CharField(
        label=_("说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class ModelToggleForm(forms.Form):
    field = forms.ChoiceField(choices=[("is_active", "is_active"), ("is_default", "is_default")])
    value = forms.BooleanField(required=False)
    version = forms.IntegerField(min_value=1)


class RuleToggleForm(forms.Form):
    is_active = forms.BooleanField(required=False)
    version = forms.IntegerField(min_value=1)


class FlagForm(forms.Form):
    """A manual flag: its key (fixed once created), name, colour and description."""

    key = forms.SlugField(
        label=_("标识"),
        max_length=40,
        required=False,
        help_text=_("英文字母、数字、-、_；规则中写作 has 的值，创建后不能修改"),
    )
    name = forms.CharField(label=_("名称"), max_length=50)
    color = forms.CharField(
        label=_("颜色"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "color", "class": "form-control form-control-color"}),
    )
    description = forms.CharField(label=_("说明"), max_length=500, required=False)
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, new: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if new:
            self.fields["key"].required = True
            del self.fields["version"]
        else:
            del self.fields["key"]
            self.fields["version"].required = True
        _style(self)

    def flag_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ("name", "color", "description")}


class FlagRetireForm(forms.Form):
    retired = forms.BooleanField(required=False)
    version = forms.IntegerField(min_value=1)


class ModelCreateForm(forms.Form):
    """A new lifecycle model: empty, or a copy of another one's stages and rules."""

    copy_from = forms.ChoiceField(label=_("从哪里开始"), required=False)
    key = forms.SlugField(
        label=_("标识"), max_length=40, help_text=_("英文字母、数字、-、_；创建后不能修改")
    )
    name = forms.CharField(label=_("名称"), max_length=100)
    description = forms.CharField(
        label=_("说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, models: Sequence[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, str]] = [("", str(_("空白模型（之后添加阶段和规则）")))]
        choices += [
            (m.key, str(_("复制“%(name)s”的阶段和规则")) % {"name": m.name}) for m in models
        ]
        self.fields["copy_from"].choices = choices  # type: ignore[attr-defined]
        _style(self)
