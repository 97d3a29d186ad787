"""The template form and the issue forms: parsing only; the rules are the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.dates import BusinessDateTimeField
from kehu.coupons.models import CouponKind, CouponTemplate
from kehu.messaging.models import Channel as MessageChannel
from kehu.orders.models import Product


def _styled(form: forms.Form) -> None:
    for item in form.fields.values():
        if isinstance(item.widget, forms.CheckboxInput):
            item.widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(item.widget, forms.Select | forms.SelectMultiple):
            item.widget.attrs.setdefault("class", "form-select")
        else:
            item.widget.attrs.setdefault("class", "form-control")


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=CouponKind.choices)
    value = forms.DecimalField(
        label=_("面值"),
        max_digits=14,
        decimal_places=2,
        help_text=_("满减填金额（如 20），折扣填百分比（如 15 表示减 15%）"),
    )
    threshold = forms.DecimalField(
        label=_("使用门槛"), max_digits=14, decimal_places=2, min_value=0, initial=0
    )
    products = forms.ModelMultipleChoiceField(
        label=_("适用商品"),
        queryset=Product.objects.filter(is_active=True).order_by("name"),
        required=False,
        help_text=_("留空表示全部商品"),
    )
    valid_days = forms.IntegerField(
        label=_("领取后有效天数"), required=False, min_value=1, max_value=3650
    )
    valid_from = BusinessDateTimeField(label=_("生效时间"), required=False)
    valid_until = BusinessDateTimeField(label=_("失效时间"), required=False)
    per_customer_limit = forms.IntegerField(
        label=_("每位客户限领"), min_value=0, max_value=1000, initial=1, help_text=_("0 表示不限")
    )
    points_cost = forms.IntegerField(
        label=_("积分兑换价"),
        required=False,
        min_value=1,
        max_value=10_000_000,
        help_text=_("留空表示不能用积分兑换"),
    )
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, template: CouponTemplate | None = None, **kwargs: Any):
        if template is not None and "data" not in kwargs and not args:
            kwargs["initial"] = {
                "name": template.name,
                "kind": template.kind,
                "value": template.value,
                "threshold": template.threshold,
                "products": list(template.products.values_list("pk", flat=True)),
                "valid_days": template.valid_days,
                "valid_from": template.valid_from,
                "valid_until": template.valid_until,
                "per_customer_limit": template.per_customer_limit,
                "points_cost": template.points_cost,
                "is_active": template.is_active,
                "version": template.version,
            }
        super().__init__(*args, **kwargs)
        _styled(self)
        self.fields["products"].widget.attrs["size"] = 6

    def data_for_service(self) -> tuple[dict[str, Any], list[int]]:
        data = dict(self.cleaned_data)
        products = [p.pk for p in data.pop("products")]
        data.pop("version", None)
        return data, products


class IssueSegmentForm(forms.Form):
    segment = forms.TypedChoiceField(label=_("客户分群"), coerce=int)

    def __init__(self, *args: Any, segments: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = segments  # type: ignore[attr-defined]
        _styled(self)


class IssueCustomerForm(forms.Form):
    template = forms.TypedChoiceField(label=_("优惠券"), coerce=int)

    def __init__(self, *args: Any, templates: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = templates  # type: ignore[attr-defined]
        _styled(self)


class CampaignForm(forms.Form):
    """A coupon to each customer of a segment, with a message carrying its code."""

    segment = forms.TypedChoiceField(label=_("客户分群"), coerce=int)
    channel = forms.ChoiceField(label=_("渠道"), choices=MessageChannel.choices)
    subject = forms.CharField(label=_("邮件主题"), max_length=200, required=False)
    body = forms.CharField(
        label=_("正文"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        initial=_("{称呼}您好，送您一张优惠券，券码 {券码}，{有效期至}前有效。"),
        help_text=_("{券码} 换成每位客户自己的券码，{有效期至} 换成其到期日"),
    )

    def __init__(self, *args: Any, segments: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = segments  # type: ignore[attr-defined]
        _styled(self)
