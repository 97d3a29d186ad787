from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kehu.accounts.models import User
from kehu.core.dates import BusinessDateField, BusinessDateTimeField
from kehu.followups.models import Task, TaskStatus
from kehu.followups.services import (
    MAX_BULK,
    BulkResult,
    Refusal,
    task_assignees,
    tasks_finish,
    tasks_postpone,
)


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


class BulkForm(forms.Form):
    """My work's bulk bar: the ticked tasks (``tasks``) done, skipped or postponed."""

    action = forms.ChoiceField(
        choices=[
            (TaskStatus.DONE, _("完成")),
            (TaskStatus.SKIPPED, _("跳过")),
            ("postpone", _("推迟")),
        ]
    )
    until = BusinessDateField(label=_("推迟到"), required=False)
    result = forms.CharField(label=_("结果"), required=False, max_length=5000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        self.fields["until"].initial = tomorrow
        self.fields["until"].widget.attrs.update(
            {"class": "form-control form-control-sm", "min": timezone.localdate().isoformat()}
        )
        self.fields["result"].widget.attrs.update(
            {"class": "form-control form-control-sm", "placeholder": _("结果（可选）")}
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        raw = self.data.getlist("tasks") if hasattr(self.data, "getlist") else []
        try:
            cleaned["tasks"] = [int(v) for v in raw]
        except ValueError:
            raise forms.ValidationError(_("所选任务无效。")) from None
        if not cleaned["tasks"]:
            raise forms.ValidationError(_("请先勾选要处理的任务。"))
        if len(cleaned["tasks"]) > MAX_BULK:
            raise forms.ValidationError(_("一次最多处理 %(n)d 项。") % {"n": MAX_BULK})
        if cleaned.get("action") == "postpone" and not cleaned.get("until"):
            self.add_error("until", _("请选择推迟到哪一天。"))
        return cleaned

    def apply(self, actor: User) -> BulkResult:
        data = self.cleaned_data
        if data["action"] == "postpone":
            return tasks_postpone(actor=actor, task_ids=data["tasks"], until=data["until"])
        return tasks_finish(
            actor=actor, task_ids=data["tasks"], status=data["action"], result=data["result"]
        )


def bulk_report(done: int, refused: Iterable[str], extra: Mapping[str, Any] | None = None) -> str:
    """What a bulk action did, in a sentence: how many (``done``), and why the others
    were not (``refused``: a reason code each; ``extra``: more reasons' texts)."""
    text = ngettext("已处理 %(n)d 项。", "已处理 %(n)d 项。", done) % {"n": done}
    reasons = {
        Refusal.NOT_FOUND: _("%(n)d 项找不到或不是你能看到的"),
        Refusal.FORBIDDEN: _("%(n)d 项你无权处理"),
        Refusal.FINISHED: _("%(n)d 项已经处理过了"),
        **(extra or {}),
    }
    counts: dict[str, int] = {}
    for reason in refused:
        counts[reason] = counts.get(reason, 0) + 1
    refused = [str(reasons[r]) % {"n": n} for r, n in counts.items() if r in reasons]
    if refused:
        text += " " + _("未处理：%(reasons)s。") % {"reasons": "；".join(refused)}
    return str(text)
