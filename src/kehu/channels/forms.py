"""The comparison's filters and the cost form."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Team
from kehu.channels.models import ChannelCost
from kehu.channels.selectors import BY_CAMPAIGN, BY_CHANNEL, Span
from kehu.channels.summaries import months_back
from kehu.customers.models import SourceChannel
from kehu.messaging.models import Campaign

MONTH_INPUT = forms.DateInput(attrs={"type": "month", "class": "form-control"})
SELECT = {"class": "form-select form-select-sm"}
MAX_MONTHS = 120


class MonthField(forms.DateField):
    """A month as ``YYYY-MM`` (what ``<input type=month>`` sends), its first day."""

    input_formats = ["%Y-%m", "%Y-%m-%d"]

    def __init__(self, **kwargs: Any):
        super().__init__(widget=MONTH_INPUT, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dt.date):
            return value.strftime("%Y-%m")
        return value

    def to_python(self, value: Any) -> dt.date | None:
        found = super().to_python(value)
        return found.replace(day=1) if found else None


class CompareForm(forms.Form):
    start = MonthField(label=_("起始月份"), required=False)
    end = MonthField(label=_("结束月份"), required=False)
    team = forms.ModelChoiceField(
        label=_("团队"),
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label=_("全部团队"),
        widget=forms.Select(attrs=SELECT),
    )
    by = forms.ChoiceField(
        label=_("按"),
        choices=[(BY_CHANNEL, _("来源渠道")), (BY_CAMPAIGN, _("营销活动"))],
        required=False,
        widget=forms.Select(attrs=SELECT),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("结束月份不能早于起始月份。"))
        elif start and end and (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
            self.add_error("start", _("最多比较 120 个月。"))
        return data

    def span(self) -> Span:
        """The span asked for; the last 12 months by default (or for bad input)."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or today.replace(day=1)
        start = data.get("start") or months_back(end, 12)
        team = data.get("team")
        return Span(
            start=start, end=end, team_id=team.pk if team else None, by=data.get("by") or BY_CHANNEL
        )


class CostForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("渠道"),
        choices=[(value, label) for value, label in SourceChannel.choices if value],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    campaign = forms.ModelChoiceField(
        label=_("营销活动"),
        queryset=Campaign.objects.order_by("-id"),
        required=False,
        empty_label=_("（整个渠道）"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    month = MonthField(label=_("月份"))
    amount = forms.DecimalField(
        label=_("金额"),
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01", "min": "0"}),
    )
    note = forms.CharField(
        label=_("备注"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    @classmethod
    def for_cost(cls, cost: ChannelCost) -> CostForm:
        return cls(
            initial={
                "channel": cost.channel,
                "campaign": cost.campaign_id,
                "month": cost.month,
                "amount": cost.amount,
                "note": cost.note,
                "version": cost.version,
            }
        )
