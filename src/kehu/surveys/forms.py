from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.core.dates import BusinessDateField
from kehu.customers.audiences import audience_choices
from kehu.customers.selectors import CustomerFilters
from kehu.surveys.models import (
    CHOICE_KINDS,
    SCALES,
    Channel,
    Question,
    QuestionKind,
    Survey,
    SurveyTrigger,
)
from kehu.surveys.selectors import GROUPS, ResultFilters
from kehu.surveys.services import MAX_QUESTIONS, MAX_TEXT_ANSWER, SURVEY_FIELDS


def _style(form: forms.BaseForm) -> None:
    for f in form.fields.values():
        widget = f.widget
        if isinstance(
            widget, (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)
        ):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class SurveyForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Survey
        fields = SURVEY_FIELDS
        widgets = {"intro": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        _style(self)

    def _post_clean(self) -> None:  # the service validates the model
        pass

    def service_data(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in SURVEY_FIELDS}


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("题型"), choices=QuestionKind.choices)
    text = forms.CharField(label=_("题目"), max_length=500, required=False)
    required = forms.BooleanField(label=_("必答"), required=False, initial=True)
    choices = forms.CharField(
        label=_("选项（每行一个）"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def question(self) -> dict[str, Any]:
        data = self.cleaned_data
        lines = [line.strip() for line in (data.get("choices") or "").splitlines()]
        return {
            "kind": data["kind"],
            "text": data["text"],
            "required": data.get("required", False),
            "choices": [line for line in lines if line] if data["kind"] in CHOICE_KINDS else [],
        }


QuestionFormSet = forms.formset_factory(
    QuestionForm,
    extra=2,
    can_order=True,
    can_delete=True,
    max_num=MAX_QUESTIONS,
    absolute_max=MAX_QUESTIONS + 5,
)


def question_initial(questions: list[Question]) -> list[dict[str, Any]]:
    return [
        {
            "kind": q.kind,
            "text": q.text,
            "required": q.required,
            "choices": "\n".join(q.choices),
            "ORDER": q.position,
        }
        for q in questions
    ]


def formset_questions(formset: Any) -> tuple[list[dict[str, Any]], list[QuestionForm]]:
    """The questions in the order given, without deleted and untouched blank rows."""
    kept = [
        f
        for f in formset.forms
        if f.has_changed() and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("text")
    ]
    kept.sort(key=lambda f: (f.cleaned_data.get("ORDER") is None, f.cleaned_data.get("ORDER") or 0))
    return [f.question() for f in kept], kept


def language_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("客户语言"), choices=settings.LANGUAGES, initial=settings.LANGUAGE_CODE
    )


class SendOneForm(forms.Form):
    survey = forms.ModelChoiceField(label=_("问卷"), queryset=Survey.objects.none())
    channel = forms.ChoiceField(label=_("发送方式"), choices=Channel.choices, initial=Channel.LINK)
    language = language_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        survey = self.fields["survey"]
        assert isinstance(survey, forms.ModelChoiceField)
        survey.queryset = Survey.objects.filter(is_active=True).order_by("name")
        self.fields["language"] = language_field()
        _style(self)


class SegmentForm(forms.Form):
    """A customer filter (as on the customer list) and how to send."""

    channel = forms.ChoiceField(
        label=_("发送方式"),
        choices=[(Channel.SMS, Channel.SMS.label), (Channel.EMAIL, Channel.EMAIL.label)],
    )
    language = language_field()
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    owner = forms.IntegerField(label=_("负责人编号"), required=False, min_value=1)
    team = forms.IntegerField(label=_("团队编号"), required=False, min_value=1)
    tag = forms.IntegerField(label=_("标签编号"), required=False, min_value=1)
    province = forms.CharField(label=_("省份"), required=False, max_length=32)
    city = forms.CharField(label=_("城市"), required=False, max_length=32)
    pool = forms.BooleanField(label=_("仅公海客户"), required=False)
    segment = forms.TypedChoiceField(
        label=_("客户分群"), coerce=int, empty_value=None, required=False
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"] = language_field()
        segment = self.fields["segment"]
        assert isinstance(segment, forms.TypedChoiceField)
        segment.choices = [("", _("（不限）")), *audience_choices(user, "segment")]
        _style(self)

    def filters(self) -> CustomerFilters:
        d = self.cleaned_data
        return CustomerFilters(
            q=d.get("q") or "",
            owner=d.get("owner"),
            team=d.get("team"),
            tag=d.get("tag"),
            province=d.get("province") or "",
            city=d.get("city") or "",
            pool=bool(d.get("pool")),
            segment=d.get("segment"),
        )


class TriggerForm(forms.ModelForm):
    class Meta:
        model = SurveyTrigger
        fields = ("kind", "delay_days", "channel", "language", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def _post_clean(self) -> None:
        pass

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ResultFiltersForm(forms.Form):
    group = forms.ChoiceField(
        label=_("分组"),
        required=False,
        choices=list(
            zip(GROUPS, [_("按月"), _("按团队"), _("按负责人"), _("按产品")], strict=True)
        ),
    )
    date_from = BusinessDateField(label=_("从"), required=False)
    date_to = BusinessDateField(label=_("到"), required=False)
    team = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    owner = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def filters(self) -> ResultFilters:
        if not self.is_valid():
            return ResultFilters()
        d = self.cleaned_data
        return ResultFilters(
            group=d.get("group") or "month",
            date_from=d.get("date_from"),
            date_to=d.get("date_to"),
            team=d.get("team"),
            owner=d.get("owner"),
        )


class AnswerForm(forms.Form):
    """The public answer form: one field ``q<id>`` per question."""

    def __init__(self, *args: Any, questions: list[Question], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for q in questions:
            name = f"q{q.pk}"
            messages: dict[str, Any] = {
                "required": _("此题必答。"),
                "invalid_choice": _("请从选项中选择。"),
            }
            field: forms.Field
            if q.kind in SCALES:
                low, high = SCALES[QuestionKind(q.kind)]
                messages["invalid_choice"] = _("请选择 %(low)d–%(high)d 分。") % {
                    "low": low,
                    "high": high,
                }
                field = forms.TypedChoiceField(
                    choices=[(str(n), str(n)) for n in range(low, high + 1)],
                    coerce=int,
                    widget=forms.RadioSelect,
                    error_messages=messages,
                )
            elif q.kind == QuestionKind.SINGLE:
                field = forms.ChoiceField(
                    choices=[(c, c) for c in q.choices],
                    widget=forms.RadioSelect,
                    error_messages=messages,
                )
            elif q.kind == QuestionKind.MULTIPLE:
                field = forms.MultipleChoiceField(
                    choices=[(c, c) for c in q.choices],
                    widget=forms.CheckboxSelectMultiple,
                    error_messages=messages,
                )
            else:
                field = forms.CharField(
                    max_length=MAX_TEXT_ANSWER,
                    widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
                    error_messages=messages,
                )
            field.label = q.text
            field.required = q.required
            self.fields[name] = field

    def values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)

    def rows(self) -> list[tuple[Question, forms.BoundField]]:
        return [(q, self[f"q{q.pk}"]) for q in self.questions]
