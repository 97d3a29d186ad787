"""The lead pages' forms; the services validate, these only carry the input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.customers.models import SourceChannel
from kehu.leads.models import AssignmentMode, AttemptOutcome, DisqualifyReason, LeadStatus
from kehu.leads.selectors import LeadFilters
from kehu.messaging.access import campaigns_q
from kehu.messaging.models import Campaign

INPUT = {"class": "form-control"}
SELECT = {"class": "form-select"}


class LeadForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=100, widget=forms.TextInput(INPUT))
    phone = forms.CharField(
        label=_("电话"), max_length=32, widget=forms.TextInput({**INPUT, "inputmode": "tel"})
    )
    company = forms.CharField(
        label=_("公司"), max_length=200, required=False, widget=forms.TextInput(INPUT)
    )
    province = forms.CharField(
        label=_("省份"), max_length=32, required=False, widget=forms.TextInput(INPUT)
    )
    city = forms.CharField(
        label=_("城市"), max_length=32, required=False, widget=forms.TextInput(INPUT)
    )
    source_channel = forms.ChoiceField(
        label=_("来源渠道"),
        choices=SourceChannel.choices,
        required=False,
        widget=forms.Select(SELECT),
    )
    campaign = forms.ModelChoiceField(
        label=_("营销活动"),
        queryset=Campaign.objects.order_by("-created_at")[:0],
        required=False,
        widget=forms.Select(SELECT),
    )
    notes = forms.CharField(
        label=_("备注"),
        max_length=2000,
        required=False,
        widget=forms.Textarea({**INPUT, "rows": 3}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, actor: User, current_campaign: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        campaign = self.fields["campaign"]
        assert isinstance(campaign, forms.ModelChoiceField)
        # The campaigns the actor sees, and the lead's own (set by someone else).
        seen = (
            campaigns_q(actor) | Q(pk=current_campaign) if current_campaign else campaigns_q(actor)
        )
        campaign.queryset = Campaign.objects.filter(seen).order_by("-created_at")

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("campaign", "version")}
        campaign = self.cleaned_data.get("campaign")
        data["campaign_id"] = campaign.pk if campaign else None
        return data


class PublicLeadForm(forms.Form):
    """The public form: what a visitor fills in. ``website`` is the honeypot (hidden by
    CSS, named to tempt a bot); ``token`` the client token."""

    name = forms.CharField(label=_("您的姓名"), max_length=100, widget=forms.TextInput(INPUT))
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=32,
        widget=forms.TextInput({**INPUT, "inputmode": "tel", "autocomplete": "tel"}),
    )
    company = forms.CharField(
        label=_("公司"), max_length=200, required=False, widget=forms.TextInput(INPUT)
    )
    province = forms.CharField(
        label=_("省份"), max_length=32, required=False, widget=forms.TextInput(INPUT)
    )
    city = forms.CharField(
        label=_("城市"), max_length=32, required=False, widget=forms.TextInput(INPUT)
    )
    notes = forms.CharField(
        label=_("您的需求"),
        max_length=2000,
        required=False,
        widget=forms.Textarea({**INPUT, "rows": 3}),
    )
    website = forms.CharField(
        required=False,
        widget=forms.TextInput({"autocomplete": "off", "tabindex": "-1"}),
    )
    token = forms.CharField(max_length=64, widget=forms.HiddenInput)


class AttemptForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("结果"), choices=AttemptOutcome.choices, widget=forms.Select(SELECT)
    )
    note = forms.CharField(
        label=_("记录"), max_length=1000, required=False, widget=forms.TextInput(INPUT)
    )
    appointment_at = forms.DateTimeField(
        label=_("约访时间"),
        required=False,
        widget=forms.DateTimeInput({**INPUT, "type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class QualifyForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("判定"),
        choices=[("qualified", _("合格")), ("disqualified", _("不合格"))],
        widget=forms.Select(SELECT),
    )
    reason = forms.ModelChoiceField(
        label=_("不合格原因"),
        queryset=DisqualifyReason.objects.filter(is_active=True),
        required=False,
        widget=forms.Select(SELECT),
    )
    note = forms.CharField(
        label=_("说明"), max_length=500, required=False, widget=forms.TextInput(INPUT)
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class LeadFilterForm(forms.Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        widget=forms.TextInput({**INPUT, "placeholder": _("姓名、公司或电话后四位")}),
    )
    status = forms.ChoiceField(
        label=_("状态"),
        choices=[("", _("全部状态")), *LeadStatus.choices],
        required=False,
        widget=forms.Select(SELECT),
    )
    source_channel = forms.ChoiceField(
        label=_("来源渠道"),
        choices=[("", _("全部渠道")), *[c for c in SourceChannel.choices if c[0]]],
        required=False,
        widget=forms.Select(SELECT),
    )
    mine = forms.BooleanField(
        label=_("只看我的"),
        required=False,
        widget=forms.CheckboxInput({"class": "form-check-input"}),
    )

    def filters(self) -> LeadFilters:
        if not self.is_valid():
            return LeadFilters()
        data = self.cleaned_data
        return LeadFilters(
            status=data["status"],
            source_channel=data["source_channel"],
            q=data["q"],
            mine=data["mine"],
        )


class SettingsForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("分配方式"), choices=AssignmentMode.choices, widget=forms.Select(SELECT)
    )
    team: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("分配给团队"), queryset=None, required=False, widget=forms.Select(SELECT)
    )
    reclaim_days = forms.IntegerField(label=_("未联系收回天数"), widget=forms.NumberInput(INPUT))
    reclaim_block_days = forms.IntegerField(
        label=_("退回后禁止重新领取天数"), widget=forms.NumberInput(INPUT)
    )
    claim_cap = forms.IntegerField(label=_("每人最多未结线索数"), widget=forms.NumberInput(INPUT))
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from kehu.accounts.models import Team

        super().__init__(*args, **kwargs)
        team = self.fields["team"]
        assert isinstance(team, forms.ModelChoiceField)
        team.queryset = Team.objects.order_by("name")

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        team = data.pop("team")
        data.pop("version")
        data["team_id"] = team.pk if team else None
        return data


class ReasonForm(forms.Form):
    name = forms.CharField(label=_("不合格原因"), max_length=100, widget=forms.TextInput(INPUT))


class RouteForm(forms.Form):
    province = forms.CharField(label=_("省份"), max_length=32, widget=forms.TextInput(INPUT))
    city = forms.CharField(
        label=_("城市"), max_length=32, required=False, widget=forms.TextInput(INPUT)
    )
    user: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("负责人"), queryset=None, widget=forms.Select(SELECT)
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from kehu.accounts.models import Role, User

        super().__init__(*args, **kwargs)
        user = self.fields["user"]
        assert isinstance(user, forms.ModelChoiceField)
        user.queryset = User.objects.filter(
            is_active=True, role__in=(Role.SALES, Role.MANAGER)
        ).order_by("username")
