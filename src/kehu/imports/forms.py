"""The forms of the import pages: upload, mapping (one select per column and per value
of a choice column), options (policy, all-or-nothing, owners) and undo."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Team, User
from kehu.accounts.selectors import teams_visible_to, users_assignable_by
from kehu.imports.access import owner_rules_for, policies_for
from kehu.imports.mapping import field_choices, value_mapping_needed
from kehu.imports.models import DuplicatePolicy, ImportJob, ImportKind, OwnerRule
from kehu.imports.services import SUPPORTED_KINDS


def _styled(form: forms.Form) -> None:
    """Bootstrap's classes on every widget (as the customer forms do)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.RadioSelect):
            continue
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs.setdefault("class", css)


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("导入内容"),
        choices=[(k, label) for k, label in ImportKind.choices if k in SUPPORTED_KINDS],
    )
    file = forms.FileField(
        label=_("文件"),
        help_text=_("Excel（.xlsx、.xls）、CSV 或 vCard（.vcf）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.xlsm,.csv,.txt,.vcf"}),
    )
    sheet = forms.CharField(
        label=_("工作表"), required=False, max_length=100, help_text=_("留空：第一个有数据的工作表")
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _styled(self)


class MappingForm(forms.Form):
    save_as = forms.CharField(
        label=_("保存此映射为"),
        required=False,
        max_length=100,
        help_text=_("下次导入表头相同的文件时自动使用"),
    )

    def __init__(self, job: ImportJob, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.job = job
        targets = field_choices(job.kind)
        self.column_names: list[tuple[str, str, list[str]]] = []
        for index, header in enumerate(job.headers):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(
                label=header, choices=targets, required=False, initial=job.mapping.get(header, "")
            )
            self.column_names.append((name, header, (job.samples or {}).get(header, [])[:3]))
        self.value_names: list[tuple[str, str, str]] = []
        for key, entry in value_mapping_needed(job).items():
            spec = entry["spec"]
            options = [("", _("（不导入）"))] + [(v, str(lbl)) for v, lbl in spec.choices if v]
            for index, (raw, value) in enumerate(entry["values"]):
                name = f"val_{key}_{index}"
                self.fields[name] = forms.ChoiceField(
                    label=raw, choices=options, required=False, initial=value or ""
                )
                self.value_names.append((name, str(spec.label), raw))
        _styled(self)

    def columns(self) -> list[tuple[Any, str, list[str]]]:
        """(the select, the header, a few sample values) of every column."""
        return [(self[name], header, samples) for name, header, samples in self.column_names]

    def values(self) -> list[tuple[Any, str, str]]:
        """(the select, the field, the value in the file) of every choice value."""
        return [(self[name], label, raw) for name, label, raw in self.value_names]

    def mapping(self) -> dict[str, str]:
        return {
            header: self.cleaned_data.get(f"col_{index}", "")
            for index, header in enumerate(self.job.headers)
        }

    def value_mapping(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for key, entry in value_mapping_needed(self.job).items():
            for index, (raw, _value) in enumerate(entry["values"]):
                chosen = self.cleaned_data.get(f"val_{key}_{index}", "")
                if chosen:
                    out.setdefault(key, {})[raw] = chosen
        return out


class OptionsForm(forms.Form):
    policy = forms.ChoiceField(label=_("与已有客户重复时"), widget=forms.RadioSelect)
    all_or_nothing = forms.TypedChoiceField(
        label=_("有错误的行"),
        choices=[("0", _("导入没有问题的行，跳过有错误的行")), ("1", _("全部成功才导入"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    owner_rule = forms.ChoiceField(label=_("新客户的负责人"))
    owner_user = forms.ModelChoiceField(
        label=_("指定用户"), queryset=User.objects.none(), required=False
    )
    owner_team = forms.ModelChoiceField(
        label=_("团队"), queryset=Team.objects.none(), required=False
    )

    def __init__(self, actor: User, job: ImportJob, *args: Any, **kwargs: Any):
        kwargs.setdefault(
            "initial",
            {
                "policy": job.policy,
                "all_or_nothing": "1" if job.all_or_nothing else "0",
                "owner_rule": job.owner_rule,
                "owner_user": job.owner_user_id,
                "owner_team": job.owner_team_id,
            },
        )
        super().__init__(*args, **kwargs)
        allowed = policies_for(actor)
        policy_field: Any = self.fields["policy"]
        policy_field.choices = [(k, v) for k, v in DuplicatePolicy.choices if k in allowed]
        rules = owner_rules_for(actor)
        rule_field: Any = self.fields["owner_rule"]
        rule_field.choices = [(k, v) for k, v in OwnerRule.choices if k in rules]
        user_field: Any = self.fields["owner_user"]
        team_field: Any = self.fields["owner_team"]
        if OwnerRule.USER in rules:
            user_field.queryset = users_assignable_by(actor)
            team_field.queryset = teams_visible_to(actor)
        else:
            del self.fields["owner_user"]
            del self.fields["owner_team"]
        _styled(self)


class UndoForm(forms.Form):
    force = forms.BooleanField(label=_("也撤销导入后被修改过的客户"), required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _styled(self)
