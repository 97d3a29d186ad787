"""The value settings form (admins), with the version for optimistic locking."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.value.models import ValueSettings
from kehu.value.services import SETTINGS_FIELDS


class ValueSettingsForm(forms.ModelForm):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    class Meta:
        model = ValueSettings
        fields = list(SETTINGS_FIELDS)
        help_texts = {
            "rfm_bins": _("默认 5 档（五分位）"),
            "retention_cost": _(
                "一次挽留行动（电话、优惠券、上门）的平均成本；挽回价值低于它的客户标为“不值得挽留”"
            ),
            "cost_to_serve": _("用于二八分析：毛利低于服务成本的客户计入亏损客户"),
            "monthly_discount": _("例如 0.01 表示每月 1%"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if not isinstance(field.widget, forms.HiddenInput):
                field.widget.attrs.setdefault("class", "form-control form-control-sm")

    def data_for_service(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in SETTINGS_FIELDS}
