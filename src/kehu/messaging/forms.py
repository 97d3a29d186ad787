from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.customers.audiences import audience_choices
from kehu.customers.models import CustomerKind, SourceChannel, Tag
from kehu.customers.selectors import CustomerFilters
from kehu.messaging.models import Channel, MessageTemplate, Purpose
from kehu.messaging.services import Audience

MAX_IDS = 10_000


def _bootstrap(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        field.widget.attrs.setdefault(
            "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        )


class TemplateForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = MessageTemplate
        fields = ["name", "channel", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}
        help_texts = {
            "body": _("可用占位符：{称呼} {姓名} {公司} {生日} {负责人}"),
        }

    def __init__(self, *args: Any, read_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _bootstrap(self)
        for field in self.fields.values():
            field.disabled = read_only


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=200)
    template = forms.ModelChoiceField(
        label=_("使用模板"),
        queryset=MessageTemplate.objects.filter(deleted_at__isnull=True),
        required=False,
        empty_label=_("（不使用，直接填写）"),
    )
    channel = forms.ChoiceField(label=_("渠道"), choices=Channel.choices)
    purpose = forms.ChoiceField(label=_("用途"), choices=Purpose.choices, initial=Purpose.MARKETING)
    subject = forms.CharField(label=_("邮件主题"), max_length=200, required=False)
    body = forms.CharField(
        label=_("正文"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("可用占位符：{称呼} {姓名} {公司} {生日} {负责人}"),
    )
    # The audience: explicit ids, a tag, or the customer list's filters.
    customer_ids = forms.CharField(
        label=_("客户编号"),
        required=False,
        max_length=100_000,
        help_text=_("用逗号或空格分隔；留空则按下面的条件筛选"),
    )
    tag = forms.ModelChoiceField(
        label=_("标签"), queryset=Tag.objects.all(), required=False, empty_label=_("（全部）")
    )
    q = forms.CharField(label=_("搜索"), max_length=100, required=False)
    province = forms.CharField(label=_("省份"), max_length=32, required=False)
    city = forms.CharField(label=_("城市"), max_length=32, required=False)
    kind = forms.ChoiceField(
        label=_("类型"), choices=[("", _("（全部）")), *CustomerKind.choices], required=False
    )
    # The empty choice means "any channel": SourceChannel's own empty choice is "未知".
    source = forms.ChoiceField(
        label=_("来源渠道"),
        choices=[("", _("全部渠道")), *[c for c in SourceChannel.choices if c[0]]],
        required=False,
    )
    industry = forms.CharField(label=_("行业"), max_length=64, required=False)
    segment = forms.TypedChoiceField(
        label=_("客户分群"), coerce=int, empty_value=None, required=False
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        segment = self.fields["segment"]
        assert isinstance(segment, forms.TypedChoiceField)
        segment.choices = [("", _("（不限）")), *audience_choices(user, "segment")]
        _bootstrap(self)

    def clean_customer_ids(self) -> list[int]:
        raw = self.cleaned_data.get("customer_ids") or ""
        parts = [p for p in re.split(r"[\s,，、]+", raw) if p]
        if any(not p.isdigit() or len(p) > 12 for p in parts):
            raise forms.ValidationError(_("客户编号只能是数字。"))
        if len(parts) > MAX_IDS:
            raise forms.ValidationError(_("一次最多 %(n)d 个编号。") % {"n": MAX_IDS})
        return [int(p) for p in parts]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        template = data.get("template")
        if template is not None:
            data["channel"] = template.channel
            data["subject"] = template.subject
            data["body"] = template.body
        elif not (data.get("body") or "").strip() and "body" not in self.errors:
            self.add_error("body", _("请填写正文或选择模板。"))
        return data

    def audience(self) -> Audience:
        data = self.cleaned_data
        ids = data.get("customer_ids") or []
        if ids:
            return Audience(customer_ids=ids)
        tag = data.get("tag")
        filters = CustomerFilters(
            q=data.get("q") or "",
            tag=tag.pk if tag else None,
            province=data.get("province") or "",
            city=data.get("city") or "",
            kind=data.get("kind") or "",
            source=data.get("source") or "",
            industry=data.get("industry") or "",
            segment=data.get("segment"),
        )
        return Audience(filters=filters)

    def message(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "channel": data["channel"],
            "purpose": data["purpose"],
            "subject": data.get("subject") or "",
            "body": data.get("body") or "",
        }


class ConsentForm(forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices)
    status = forms.ChoiceField(choices=[("granted", "granted"), ("withdrawn", "withdrawn")])
    version = forms.IntegerField(required=False, min_value=0, max_value=2**31)
