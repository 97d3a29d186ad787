"""Forms of the playbook pages: the playbook, its steps (a formset), starting it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.coupons.models import CouponTemplate
from kehu.lifecycle.models import Stage
from kehu.messaging.models import MessageTemplate
from kehu.retention.models import MAX_HOLDOUT, OwnerRule, Playbook, StepKind, Trigger
from kehu.retention.report import GROUPS, group_labels
from kehu.segments.access import segments_visible_to
from kehu.segments.models import Segment

SELECT = {"class": "form-select form-select-sm"}
INPUT = {"class": "form-control form-control-sm"}


class PlaybookForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100, widget=forms.TextInput(INPUT))
    description = forms.CharField(
        label=_("说明"),
        max_length=2000,
        required=False,
        widget=forms.Textarea({**INPUT, "rows": 2}),
    )
    trigger = forms.ChoiceField(
        label=_("触发条件"), choices=Trigger.choices, widget=forms.Select(SELECT)
    )
    risk_threshold = forms.FloatField(
        label=_("流失风险阈值（0–1）"),
        min_value=0,
        max_value=1,
        required=False,
        widget=forms.NumberInput({**INPUT, "step": "0.05"}),
    )
    stage = forms.ModelChoiceField(
        label=_("阶段"),
        queryset=Stage.objects.select_related("model").order_by("model__position", "position"),
        required=False,
        widget=forms.Select(SELECT),
    )
    include_initial = forms.BooleanField(label=_("包括初次归入"), required=False)
    tier_drop = forms.IntegerField(
        label=_("星级下降至少"),
        min_value=1,
        max_value=4,
        initial=1,
        widget=forms.NumberInput(INPUT),
    )
    segment = forms.ModelChoiceField(
        label=_("客户分群（触发或受众）"),
        queryset=Segment.objects.none(),
        required=False,
        widget=forms.Select(SELECT),
    )
    window_days = forms.IntegerField(
        label=_("结果窗口（天）"),
        min_value=1,
        max_value=730,
        initial=60,
        widget=forms.NumberInput(INPUT),
    )
    holdout_percent = forms.IntegerField(
        label=_("对照组比例（%）"),
        min_value=0,
        max_value=MAX_HOLDOUT,
        initial=10,
        widget=forms.NumberInput(INPUT),
    )
    cost_per_run = forms.DecimalField(
        label=_("每次额外成本"),
        min_value=0,
        max_digits=14,
        decimal_places=2,
        initial=0,
        widget=forms.NumberInput(INPUT),
    )
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["segment"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = segments_visible_to(actor).order_by("name")

    def service_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "name": d["name"],
            "description": d["description"],
            "trigger": d["trigger"],
            "risk_threshold": d["risk_threshold"],
            "stage_id": d["stage"].pk if d["stage"] else None,
            "include_initial": d["include_initial"],
            "tier_drop": d["tier_drop"],
            "segment_id": d["segment"].pk if d["segment"] else None,
            "window_days": d["window_days"],
            "holdout_percent": d["holdout_percent"],
            "cost_per_run": d["cost_per_run"],
            "is_active": d["is_active"],
        }

    @staticmethod
    def initial_of(playbook: Playbook) -> dict[str, Any]:
        return {
            "name": playbook.name,
            "description": playbook.description,
            "trigger": playbook.trigger,
            "risk_threshold": playbook.risk_threshold,
            "stage": playbook.stage_id,
            "include_initial": playbook.include_initial,
            "tier_drop": playbook.tier_drop,
            "segment": playbook.segment_id,
            "window_days": playbook.window_days,
            "holdout_percent": playbook.holdout_percent,
            "cost_per_run": playbook.cost_per_run,
            "is_active": playbook.is_active,
            "version": playbook.version,
        }


class StepForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("类型"),
        choices=[("", "—"), *StepKind.choices],
        required=False,
        widget=forms.Select(SELECT),
    )
    title = forms.CharField(
        label=_("内容"), max_length=200, required=False, widget=forms.TextInput(INPUT)
    )
    template = forms.ModelChoiceField(
        label=_("消息模板"),
        queryset=MessageTemplate.objects.filter(deleted_at__isnull=True).order_by("name"),
        required=False,
        widget=forms.Select(SELECT),
    )
    coupon = forms.ModelChoiceField(
        label=_("优惠券"),
        queryset=CouponTemplate.objects.filter(is_active=True).order_by("name"),
        required=False,
        widget=forms.Select(SELECT),
    )
    due_days = forms.IntegerField(
        label=_("期限（天）"),
        min_value=0,
        max_value=365,
        initial=3,
        required=False,
        widget=forms.NumberInput(INPUT),
    )
    owner_rule = forms.ChoiceField(
        label=_("负责人"), choices=OwnerRule.choices, required=False, widget=forms.Select(SELECT)
    )
    owner = forms.ModelChoiceField(
        label=_("指定用户"),
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        widget=forms.Select(SELECT),
    )

    def step_data(self) -> dict[str, Any] | None:
        d = getattr(self, "cleaned_data", {})
        if not d.get("kind"):
            return None
        return {
            "kind": d["kind"],
            "title": d.get("title") or "",
            "template_id": d["template"].pk if d.get("template") else None,
            "coupon_id": d["coupon"].pk if d.get("coupon") else None,
            "due_days": d["due_days"] if d.get("due_days") is not None else 3,
            "owner_rule": d.get("owner_rule") or OwnerRule.CUSTOMER_OWNER,
            "owner_id": d["owner"].pk if d.get("owner") else None,
        }


StepFormSet = forms.formset_factory(StepForm, extra=2, max_num=20)


def steps_initial(playbook: Playbook) -> list[dict[str, Any]]:
    return [
        {
            "kind": s.kind,
            "title": s.title,
            "template": s.template_id,
            "coupon": s.coupon_id,
            "due_days": s.due_days,
            "owner_rule": s.owner_rule,
            "owner": s.owner_id,
        }
        for s in playbook.steps.order_by("order", "id")
    ]


class ReportForm(forms.Form):
    by = forms.ChoiceField(label=_("分组"), required=False, widget=forms.Select(SELECT))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = group_labels()
        field = self.fields["by"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(key, labels[key]) for key in GROUPS]

    def grouping(self) -> str:
        if self.is_valid() and self.cleaned_data.get("by"):
            return str(self.cleaned_data["by"])
        return "playbook"


class StartForm(forms.Form):
    """Start by hand: for one customer (the customer page) or a segment's members."""

    playbook = forms.ModelChoiceField(
        label=_("挽留方案"),
        queryset=Playbook.objects.filter(is_active=True).order_by("name"),
        widget=forms.Select(SELECT),
    )


class SegmentStartForm(forms.Form):
    segment = forms.ModelChoiceField(
        label=_("客户分群"), queryset=Segment.objects.none(), widget=forms.Select(SELECT)
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["segment"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = segments_visible_to(actor).order_by("name")


class StopForm(forms.Form):
    reason = forms.CharField(label=_("停止原因"), max_length=500, widget=forms.TextInput(INPUT))
