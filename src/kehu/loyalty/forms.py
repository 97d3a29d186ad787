"""The loyalty forms: parsing and presentation only; the rules are the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kehu.loyalty.models import EarnRule, Gift, Level
from kehu.loyalty.redeemables import redeemables
from kehu.loyalty.services import MAX_POINTS, MAX_QUANTITY


def _styled(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs.setdefault("class", css)


class PointsForm(forms.Form):
    direction = forms.ChoiceField(
        label=_("操作"), choices=[("grant", _("赠送")), ("deduct", _("扣减"))]
    )
    points = forms.IntegerField(label=_("积分"), min_value=1, max_value=MAX_POINTS)
    reason = forms.CharField(label=_("原因"), max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)

    def signed_points(self) -> int:
        points = int(self.cleaned_data["points"])
        return -points if self.cleaned_data["direction"] == "deduct" else points


class RedeemForm(forms.Form):
    """What the points buy: every registered kind (gifts, coupons), grouped by kind;
    a choice is ``kind:id``."""

    item_id = forms.ChoiceField(label=_("兑换物品"))
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=MAX_QUANTITY, initial=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["item_id"]
        assert isinstance(field, forms.ChoiceField)
        groups: list[Any] = []
        for kind in redeemables():
            items = [
                (
                    f"{kind.kind}:{pk}",
                    _("%(name)s（%(points)d 分）") % {"name": name, "points": points},
                )
                for pk, name, points in kind.choices()
            ]
            if items:
                groups.append((gettext(kind.label), items))  # registered in Chinese
        field.choices = groups
        _styled(self)

    def item(self) -> tuple[str, int]:
        """The chosen (kind, item id)."""
        kind, _sep, pk = str(self.cleaned_data["item_id"]).partition(":")
        return kind, int(pk)


class ReferrerForm(forms.Form):
    code = forms.CharField(label=_("推荐人的推荐码"), max_length=12)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)


class LevelForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Level
        fields = ["name", "min_points", "min_spend", "discount_percent", "benefits"]
        widgets = {"benefits": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)


class EarnRuleForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = EarnRule
        fields = [
            "name",
            "kind",
            "points_per_yuan",
            "multiplier",
            "product",
            "category",
            "channel",
            "birthday_scope",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)


class GiftForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Gift
        fields = ["name", "points_cost", "stock", "description", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)


# The programme's editable kinds: URL word → (model form, label).
PROGRAMME_FORMS: dict[str, tuple[type[forms.ModelForm], Any]] = {
    "level": (LevelForm, _("会员等级")),
    "rule": (EarnRuleForm, _("积分规则")),
    "gift": (GiftForm, _("积分礼品")),
}
