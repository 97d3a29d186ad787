"""Forms of the pipeline pages: they parse and bound the input; the services check it
and their errors land on the fields (``core.forms.add_service_errors``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Team, User
from kehu.accounts.selectors import teams_visible_to, users_assignable_by, users_visible_to
from kehu.orders.models import PaymentStatus, Product
from kehu.pipeline.models import LossReason, Opportunity, Phase, Status
from kehu.pipeline.selectors import ListFilters, Scope
from kehu.pipeline.services import LineInput

PRODUCT_CHOICES_LIMIT = 500


class StyledForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            else:
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs.setdefault("class", css)


def _active_phases() -> Any:
    return Phase.objects.filter(is_active=True).order_by("position", "id")


class PhaseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.label


class ScopeForm(StyledForm):
    """Whose opportunities (the board, the list, the forecast): an owner, a team."""

    owner = forms.ModelChoiceField(
        label=_("负责人"), required=False, queryset=User.objects.none(), empty_label=_("全部负责人")
    )
    team = forms.ModelChoiceField(
        label=_("团队"), required=False, queryset=Team.objects.none(), empty_label=_("全部团队")
    )

    def __init__(self, actor: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = users_visible_to(actor).filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["team"].queryset = teams_visible_to(actor)  # type: ignore[attr-defined]

    def scope(self) -> Scope:
        if not self.is_bound or not self.is_valid():
            return Scope()
        owner, team = self.cleaned_data.get("owner"), self.cleaned_data.get("team")
        return Scope(owner_id=owner.pk if owner else None, team_id=team.pk if team else None)


class ListFilterForm(ScopeForm):
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[(Status.OPEN, _("进行中")), ("all", _("全部状态")), *Status.choices[1:]],
    )
    phase = PhaseChoiceField(
        label=_("阶段"), required=False, queryset=_active_phases(), empty_label=_("全部阶段")
    )
    q = forms.CharField(label=_("名称"), required=False, max_length=100)
    customer = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def filters(self) -> ListFilters:
        scope = self.scope()
        if not self.is_bound or not self.is_valid():
            return ListFilters(scope=scope)
        data = self.cleaned_data
        status = data.get("status") or Status.OPEN
        return ListFilters(
            scope=scope,
            status="" if status == "all" else status,
            phase_id=data["phase"].pk if data.get("phase") else None,
            customer_id=data.get("customer"),
            q=(data.get("q") or "").strip(),
        )


class OpportunityForm(StyledForm):
    name = forms.CharField(label=_("商机名称"), max_length=200)
    amount = forms.DecimalField(
        label=_("金额"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    probability = forms.IntegerField(
        label=_("赢单概率（%）"),
        required=False,
        min_value=0,
        max_value=100,
        help_text=_("留空则使用阶段的默认概率。"),
    )
    expected_close_date = forms.DateField(
        label=_("预计成交日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    owner = forms.ModelChoiceField(label=_("负责人"), queryset=User.objects.none())
    competitors = forms.CharField(label=_("竞争对手"), required=False, max_length=500)
    next_step = forms.CharField(label=_("下一步"), required=False, max_length=500)
    notes = forms.CharField(
        label=_("备注"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, actor: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = users_assignable_by(actor)  # type: ignore[attr-defined]

    @classmethod
    def for_change(
        cls, actor: User, opportunity: Opportunity, data: QueryDict | None = None
    ) -> OpportunityForm:
        initial = {
            name: getattr(opportunity, name)
            for name in (
                "name",
                "amount",
                "probability",
                "expected_close_date",
                "competitors",
                "next_step",
                "notes",
                "version",
            )
        }
        initial["owner"] = opportunity.owner_id
        form = cls(actor, data, initial=initial)
        if opportunity.owner_id is not None:
            # The current owner stays choosable, even for someone who could not assign them.
            assignable = users_assignable_by(actor).values("pk")
            owners = User.objects.filter(Q(pk__in=assignable) | Q(pk=opportunity.owner_id))
            form.fields["owner"].queryset = owners.order_by("username")  # type: ignore[attr-defined]
        return form

    def service_data(self) -> dict[str, Any]:
        data = {
            key: self.cleaned_data.get(key)
            for key in (
                "name",
                "amount",
                "probability",
                "expected_close_date",
                "competitors",
                "next_step",
                "notes",
            )
        }
        for key in ("competitors", "next_step", "notes"):
            data[key] = data[key] or ""
        return data


class LineForm(StyledForm):
    product = forms.ModelChoiceField(
        label=_("产品"), required=False, queryset=Product.objects.none(), empty_label="—"
    )
    quantity = forms.DecimalField(
        label=_("数量"), required=False, min_value=0, max_digits=12, decimal_places=3
    )
    unit_price = forms.DecimalField(
        label=_("单价"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=_("留空则用产品单价。"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        products = Product.objects.filter(is_active=True).order_by("name", "id")
        first = products.values("pk")[:PRODUCT_CHOICES_LIMIT]
        self.fields["product"].queryset = products.filter(pk__in=first)  # type: ignore[attr-defined]

    def line(self) -> LineInput | None:
        product = self.cleaned_data.get("product")
        if product is None:
            return None
        quantity = self.cleaned_data.get("quantity") or Decimal(1)
        return LineInput(product.pk, quantity, self.cleaned_data.get("unit_price"))


LineFormSet = forms.formset_factory(LineForm, extra=3, max_num=50, validate_max=True)


def lines_of(formset: Any) -> list[LineInput]:
    lines = [form.line() for form in formset.forms if form.is_valid()]
    return [line for line in lines if line is not None]


def line_initial(opportunity: Opportunity) -> list[dict[str, Any]]:
    return [
        {"product": line.product_id, "quantity": line.quantity, "unit_price": line.unit_price}
        for line in opportunity.lines.all()
    ]


class MoveForm(forms.Form):
    phase = forms.ModelChoiceField(queryset=_active_phases())
    version = forms.IntegerField(required=False, min_value=1)


class WinForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    payment_status = forms.ChoiceField(
        label=_("收款状态"), choices=PaymentStatus.choices, initial=PaymentStatus.PAID
    )


class LoseForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    loss_reason = forms.ModelChoiceField(
        label=_("丢单原因"),
        queryset=LossReason.objects.filter(is_active=True).order_by("position", "id"),
        empty_label=_("请选择"),
    )
    loss_note = forms.CharField(label=_("说明"), required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["loss_reason"].label_from_instance = lambda obj: obj.label  # type: ignore[attr-defined]
