from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.core.dates import BusinessDateTimeField
from kehu.followups.models import Task
from kehu.followups.services import task_assignees


class TaskForm(forms.ModelForm):
    assignee = forms.ModelChoiceField(label=_("负责人"), queryset=User.objects.none())
    due_at = BusinessDateTimeField(label=_("截止时间"))

    class Meta:
        model = Task
        fields = ("kind", "title", "due_at", "assignee", "notes")
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assignee = self.fields["assignee"]
        assert isinstance(assignee, forms.ModelChoiceField)
        assignee.queryset = task_assignees(actor)
        assignee.initial = actor.pk
        self.fields["title"].required = False
        tomorrow = timezone.localtime() + dt.timedelta(days=1)
        self.fields["due_at"].initial = tomorrow.replace(hour=10, minute=0, second=0, microsecond=0)
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )

    def service_arguments(self) -> dict[str, Any]:
        data = {k: self.cleaned_data[k] for k in ("kind", "title", "due_at", "notes")}
        return {"data": data, "assignee": self.cleaned_data["assignee"]}


class FinishForm(forms.Form):
    status = forms.ChoiceField(choices=[("done", _("已完成")), ("skipped", _("已跳过"))])
    result = forms.CharField(label=_("结果"), required=False, max_length=5000)
