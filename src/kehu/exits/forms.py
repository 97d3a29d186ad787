"""The exit form (record or explain an exit), the analysis and win-back filters, the
taxonomy and settings forms."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.dates import BusinessDateField, BusinessDateTimeField
from kehu.exits.analysis import DIMENSIONS, ExitQuery
from kehu.exits.models import ExitReason, ExitSettings
from kehu.exits.winback import WinbackFilters
from kehu.orders.models import Refund
from kehu.surveys.models import Channel as SurveyChannel
from kehu.surveys.models import Survey

SELECT = {"class": "form-select form-select-sm"}


def _bootstrap(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
            continue
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        widget.attrs.setdefault("class", css)


class ReasonChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class RefundChoice(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        kind = obj.get_kind_display()
        day = f"{obj.refunded_at:%Y-%m-%d}"
        text = f"{day} · {obj.order.label} · {kind} {obj.amount} · {obj.reason}"
        return text[:120]


class ExitForm(forms.Form):
    reason = ReasonChoice(
        label=_("退出原因"), queryset=ExitReason.objects.none(), empty_label=_("（请选择）")
    )
    competitor = forms.CharField(
        label=_("竞争对手"), max_length=100, required=False, help_text=_("转向了哪家")
    )
    details = forms.CharField(
        label=_("说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    refunds = RefundChoice(
        label=_("相关退款与退货"),
        queryset=Refund.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    at = BusinessDateTimeField(label=_("退出时间"), required=False, help_text=_("留空为现在"))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, refunds: Any = None, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = ExitReason.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["refunds"].queryset = refunds if refunds is not None else Refund.objects.none()  # type: ignore[attr-defined]
        if editing:
            del self.fields["at"]
        _bootstrap(self)

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "reason": data["reason"],
            "competitor": data.get("competitor") or "",
            "details": data.get("details") or "",
            "refund_ids": [r.pk for r in data.get("refunds") or []],
        }


def _int(value: Any) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


class AnalysisForm(forms.Form):
    by = forms.ChoiceField(
        label=_("分析维度"),
        choices=list(DIMENSIONS.items()),
        required=False,
        widget=forms.Select(attrs=SELECT),
    )
    since = BusinessDateField(label=_("起始日期"), required=False)
    until = BusinessDateField(label=_("截止日期"), required=False)
    reason = ReasonChoice(
        label=_("退出原因"),
        queryset=ExitReason.objects.all(),
        required=False,
        empty_label=_("全部原因"),
        widget=forms.Select(attrs=SELECT),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _bootstrap(self)

    def query(self, segment: Any = None) -> ExitQuery:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        reason = data.get("reason")
        return ExitQuery(
            by=data.get("by") or "reason",
            since=data.get("since"),
            until=data.get("until"),
            reason=reason.pk if reason else None,
            segment=_int(segment),
        )


class WinbackForm(forms.Form):
    reason = ReasonChoice(
        label=_("退出原因"),
        queryset=ExitReason.objects.filter(addressable=True),
        required=False,
        empty_label=_("全部可赢回原因"),
        widget=forms.Select(attrs=SELECT),
    )
    tier = forms.TypedChoiceField(
        label=_("星级"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", _("全部星级")), *[(n, "★" * n) for n in (5, 4, 3, 2, 1)]],
        widget=forms.Select(attrs=SELECT),
    )
    min_value = forms.DecimalField(
        label=_("离开前价值不低于"),
        required=False,
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
    )
    since = BusinessDateField(label=_("退出日期从"), required=False)
    until = BusinessDateField(label=_("到"), required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _bootstrap(self)

    def filters(self) -> WinbackFilters:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        reason = data.get("reason")
        return WinbackFilters(
            reason=reason.pk if reason else None,
            tier=data.get("tier"),
            min_value=data.get("min_value"),
            since=data.get("since"),
            until=data.get("until"),
        )


class ReasonForm(forms.ModelForm):  # type: ignore[type-arg]
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0)

    class Meta:
        model = ExitReason
        fields = [
            "key",
            "name",
            "description",
            "addressable",
            "requires_details",
            "asks_competitor",
            "position",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["key"].disabled = True
        _bootstrap(self)


class SettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0)
    survey_channel = forms.ChoiceField(label=_("访谈发送渠道"), choices=SurveyChannel.choices)

    class Meta:
        model = ExitSettings
        fields = [
            "survey",
            "survey_channel",
            "survey_delay_days",
            "refund_policy",
            "return_policy",
            "winback_min_value",
        ]
        widgets = {
            "refund_policy": forms.Textarea(attrs={"rows": 4}),
            "return_policy": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["survey"].queryset = Survey.objects.filter(is_active=True)  # type: ignore[attr-defined]
        _bootstrap(self)
