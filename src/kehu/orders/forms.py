"""Order page forms: parsing and presentation only; the rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.dates import BusinessDateField, BusinessDateTimeField
from kehu.orders.models import Channel, OrderStatus, RefundKind
from kehu.orders.selectors import OrderFilters


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs.setdefault("class", css)


class OrderFilterForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("渠道"), required=False, choices=[("", _("全部渠道")), *Channel.choices]
    )
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部状态")), *OrderStatus.choices]
    )
    date_from = BusinessDateField(label=_("起始日期"), required=False)
    date_to = BusinessDateField(label=_("截止日期"), required=False)
    customer = forms.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)

    def filters(self) -> OrderFilters:
        """What was valid of the filters (a bad value is shown, not applied)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return OrderFilters(
            channel=data.get("channel") or "",
            status=data.get("status") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            customer=data.get("customer"),
        )


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label=_("退款金额"), max_digits=14, decimal_places=2, min_value=0.01
    )
    kind = forms.ChoiceField(label=_("类型"), choices=RefundKind.choices, initial=RefundKind.REFUND)
    reason = forms.CharField(label=_("原因"), max_length=500)
    refunded_at = BusinessDateTimeField(
        label=_("退款时间"), required=False, help_text=_("留空为现在")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)
