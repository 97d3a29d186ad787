from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.care.models import CadenceRule, CareRule, Festival, MessageChannel, Reason
from kehu.core.dates import BusinessDateField
from kehu.customers.audiences import audience_choices

MAX_DAYS_AHEAD = 366


def _style(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.SelectMultiple):
            widget.attrs.setdefault("class", "form-select")
            widget.attrs.setdefault("size", "7")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class AgendaFilterForm(forms.Form):
    date = BusinessDateField(label=_("日期"), required=False)
    reason = forms.ChoiceField(
        label=_("原因"), required=False, choices=[("", _("全部原因")), *Reason.choices]
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=1_000_000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def clean_date(self) -> dt.date:
        day = self.cleaned_data.get("date") or timezone.localdate()
        if abs((day - timezone.localdate()).days) > MAX_DAYS_AHEAD:
            raise forms.ValidationError(_("只能查看前后一年内的关怀日程。"))
        if not 1901 <= day.year <= 2098:
            raise forms.ValidationError(_("日期超出农历可计算的范围。"))
        return day


class BuildForm(forms.Form):
    date = BusinessDateField()

    def clean_date(self) -> dt.date:
        day: dt.date = self.cleaned_data["date"]
        today = timezone.localdate()
        if not today - dt.timedelta(days=7) <= day <= today + dt.timedelta(days=30):
            raise forms.ValidationError(_("只能为过去 7 天到未来 30 天内的日期创建任务。"))
        return day


class GreetingForm(forms.Form):
    channel = forms.ChoiceField(label=_("渠道"), choices=MessageChannel.choices)
    subject = forms.CharField(label=_("邮件主题"), max_length=200, required=False)
    body = forms.CharField(
        label=_("祝福语"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        initial=_("{称呼}，节日快乐！"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def clean(self) -> dict[str, Any]:
        """The ticked agenda lines (``items``, checkboxes outside the declared fields)."""
        cleaned = super().clean() or {}
        raw = self.data.getlist("items") if hasattr(self.data, "getlist") else []
        try:
            cleaned["items"] = [int(v) for v in raw][:10_000]
        except ValueError:
            raise forms.ValidationError(_("所选记录无效。")) from None
        if not cleaned["items"]:
            raise forms.ValidationError(_("请先勾选要发送祝福的客户。"))
        return cleaned


class CareRuleForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    segment = forms.TypedChoiceField(
        label=_("客户分群"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("只关怀该分群中的客户（每天按当天的成员计算）"),
    )

    class Meta:
        model = CareRule
        fields = (
            "name",
            "kind",
            "active",
            "tag",
            "team",
            "owner",
            "festivals",
            "anniversary",
            "every_days",
            "days_before",
            "create_task",
            "task_kind",
            "send_message",
            "channel",
            "message",
        )
        widgets = {"message": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version if self.instance.pk else None
        festivals = self.fields["festivals"]
        assert isinstance(festivals, forms.ModelMultipleChoiceField)
        festivals.queryset = Festival.objects.order_by("position", "id")
        segment = self.fields["segment"]
        assert isinstance(segment, forms.TypedChoiceField)
        choices = audience_choices(user, "segment")
        current = self.instance.segment_id
        if current and current not in {pk for pk, _name in choices}:
            choices.append((current, _("分群 #%(id)d") % {"id": current}))
        segment.choices = [("", _("（不限）")), *choices]
        segment.initial = current
        _style(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.instance.segment_id = data.get("segment")
        return data


class FestivalForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Festival
        fields = (
            "name",
            "calendar",
            "month",
            "day",
            "is_new_year_eve",
            "active",
            "greeting",
            "position",
        )
        widgets = {"greeting": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version if self.instance.pk else None
        _style(self)


class CadenceForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = CadenceRule
        fields = ("tag", "days")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version if self.instance.pk else None
        _style(self)
