"""The analytics page's filters (model, period, team, owner, channel, tag)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.dates import BusinessDateField
from kehu.customers.models import SourceChannel
from kehu.lifecycle import stats
from kehu.lifecycle.analytics_selectors import AnalyticsFilters, model_by_key

DEFAULT_DAYS = 90
MAX_DAYS = 5 * 366
BUCKET_CHOICES = [("", _("自动")), ("day", _("按日")), ("week", _("按周")), ("month", _("按月"))]


class AnalyticsFiltersForm(forms.Form):
    model = forms.SlugField(label=_("生命周期模型"), required=False, max_length=40)
    start = BusinessDateField(label=_("从"), required=False)
    end = BusinessDateField(label=_("到"), required=False)
    bucket = forms.ChoiceField(label=_("粒度"), required=False, choices=BUCKET_CHOICES)
    team = forms.IntegerField(label=_("团队"), required=False, min_value=1, max_value=2**63 - 1)
    owner = forms.IntegerField(label=_("负责人"), required=False, min_value=1, max_value=2**63 - 1)
    channel = forms.ChoiceField(
        label=_("来源渠道"), required=False, choices=[("", _("全部")), *SourceChannel.choices[1:]]
    )
    tag = forms.IntegerField(label=_("标签"), required=False, min_value=1, max_value=2**63 - 1)
    segment = forms.IntegerField(
        label=_("客户分群"), required=False, min_value=1, max_value=2**63 - 1
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            css = "form-select" if isinstance(f.widget, forms.Select) else "form-control"
            f.widget.attrs.setdefault("class", css)

    def clean_model(self) -> str:
        key = self.cleaned_data.get("model") or ""
        if model_by_key(key) is None:
            raise forms.ValidationError(_("没有这个生命周期模型。"))
        return key

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate()
        end = data.get("end") or today
        start = data.get("start") or end - dt.timedelta(days=DEFAULT_DAYS)
        if end > today:
            self.add_error("end", _("结束日期不能晚于今天。"))
        elif start > end:
            self.add_error("start", _("开始日期不能晚于结束日期。"))
        elif (end - start).days > MAX_DAYS:
            self.add_error("start", _("时间范围最长 5 年。"))
        data["start"], data["end"] = start, end
        return data

    def filters(self) -> AnalyticsFilters | None:
        """The filters chosen, or defaults when the form is unbound or invalid (None
        when there is no lifecycle model at all)."""
        valid = self.is_bound and self.is_valid()
        d = self.cleaned_data if valid else {}
        model = model_by_key(d.get("model") or "")
        if model is None:
            return None
        end = d.get("end") or timezone.localdate()
        start = d.get("start") or end - dt.timedelta(days=DEFAULT_DAYS)
        return AnalyticsFilters(
            model=model,
            start=start,
            end=end,
            bucket=d.get("bucket") or stats.bucket_for(start, end),
            team_id=d.get("team"),
            owner_id=d.get("owner"),
            channel=d.get("channel") or "",
            tag_id=d.get("tag"),
            segment_id=d.get("segment"),
        )
