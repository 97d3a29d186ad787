"""The segment builder's form: name, sharing and the rule as JSON (the builder's rows
write it; it can be edited by hand too)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kehu.segments.models import Segment, SegmentKind, Sharing

MAX_RULE = 20_000


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    description = forms.CharField(label=_("说明"), max_length=500, required=False)
    sharing = forms.ChoiceField(label=_("共享范围"), choices=Sharing.choices)
    kind = forms.ChoiceField(label=_("类型"), choices=SegmentKind.choices, required=False)
    rule = forms.CharField(
        label=_("条件（JSON）"),
        max_length=MAX_RULE,
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 8, "spellcheck": "false", "class": "form-control font-monospace"}
        ),
    )
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("name", "description"):
            self.fields[name].widget.attrs["class"] = "form-control"
        for name in ("sharing", "kind"):
            self.fields[name].widget.attrs["class"] = "form-select"

    @classmethod
    def initial_for(cls, segment: Segment) -> dict[str, Any]:
        return {
            "name": segment.name,
            "description": segment.description,
            "sharing": segment.sharing,
            "kind": segment.kind,
            "rule": json.dumps(segment.rule, ensure_ascii=False, indent=2) if segment.rule else "",
            "version": segment.version,
        }

    def clean_rule(self) -> Any:
        text = self.cleaned_data["rule"].strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError as error:
            raise ValidationError(
                _("条件不是有效的 JSON（第 %(line)d 行第 %(column)d 列）：%(message)s"),
                params={
                    "line": getattr(error, "lineno", 0),
                    "column": getattr(error, "colno", 0),
                    "message": getattr(error, "msg", str(error)),
                },
            ) from None

    def segment_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        found = {
            "name": data["name"],
            "description": data["description"],
            "sharing": data["sharing"],
            "kind": data.get("kind") or SegmentKind.RULE,
        }
        if found["kind"] == SegmentKind.RULE:
            found["rule"] = data["rule"]
        return found
