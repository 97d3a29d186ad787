"""Forms of the complaint pages. Validation of the workflow lives in the services;
the forms parse and bound the input and show the services' errors by field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.complaints.models import (
    Category,
    Channel,
    Complaint,
    Incident,
    IncidentStatus,
    Severity,
    Status,
    UpdateChannel,
)
from kehu.complaints.selectors import OPEN, ComplaintFilters
from kehu.complaints.services import handler_candidates
from kehu.customers.models import Customer
from kehu.orders.models import Order


class StyledForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            else:
                field.widget.attrs.setdefault(
                    "class",
                    "form-select" if isinstance(field.widget, forms.Select) else "form-control",
                )


class QueueFilterForm(StyledForm):
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[(OPEN, _("未关闭")), ("", _("全部状态")), *Status.choices],
    )
    severity = forms.ChoiceField(
        label=_("严重程度"), required=False, choices=[("", _("全部严重程度")), *Severity.choices]
    )
    overdue = forms.BooleanField(label=_("已超时"), required=False)
    mine = forms.BooleanField(label=_("我处理的"), required=False)

    def filters(self) -> ComplaintFilters:
        if not self.is_bound:
            return ComplaintFilters()
        if not self.is_valid():
            clean = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        else:
            clean = self.cleaned_data
        return ComplaintFilters(
            status=clean.get("status", OPEN) if "status" in self.data else OPEN,
            severity=clean.get("severity", ""),
            overdue=bool(clean.get("overdue")),
            mine=bool(clean.get("mine")),
        )


def _handler_field(customer: Customer) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("处理人"),
        required=False,
        queryset=handler_candidates(customer),
        empty_label=_("暂不指派"),
    )


class ComplaintForm(StyledForm):
    """A new complaint (or its changeable fields)."""

    channel = forms.ChoiceField(label=_("渠道"), choices=Channel.choices)
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices, initial=Category.OTHER)
    severity = forms.ChoiceField(
        label=_("严重程度"), choices=Severity.choices, initial=Severity.MEDIUM
    )
    description = forms.CharField(
        label=_("投诉内容"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    order_id = forms.TypedChoiceField(
        label=_("相关订单"), required=False, coerce=int, empty_value=None
    )
    product_id = forms.IntegerField(
        label=_("相关产品编号"), required=False, min_value=1, max_value=2**63 - 1
    )
    incident = forms.ModelChoiceField(
        label=_("危机事件"), required=False, queryset=Incident.objects.none(), empty_label="—"
    )

    def __init__(
        self,
        *args: Any,
        customer: Customer,
        complaint: Complaint | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        current_order = complaint.order_id if complaint else None
        orders = Order.objects.filter(customer=customer).filter(
            Q(
                pk__in=Order.objects.filter(customer=customer)
                .order_by("-ordered_at")[:50]
                .values("pk")
            )
            | Q(pk=current_order or 0)
        )
        order_field = self.fields["order_id"]
        assert isinstance(order_field, forms.TypedChoiceField)
        order_field.choices = [("", "—")] + [
            (o.pk, f"{o.label} · {o.ordered_at:%Y-%m-%d}") for o in orders.order_by("-ordered_at")
        ]
        incident = self.fields["incident"]
        assert isinstance(incident, forms.ModelChoiceField)
        current_incident = complaint.incident_id if complaint else None
        incident.queryset = Incident.objects.filter(
            ~Q(status=IncidentStatus.RESOLVED) | Q(pk=current_incident or 0)
        ).order_by("-created_at")
        self.fields["handler"] = _handler_field(customer)
        self.fields["handler"].widget.attrs["class"] = "form-select"

    def service_data(self) -> dict[str, Any]:
        data = {k: self.cleaned_data[k] for k in ("channel", "category", "severity", "description")}
        incident = self.cleaned_data.get("incident")
        handler: User | None = self.cleaned_data.get("handler")
        data["order_id"] = self.cleaned_data.get("order_id")
        data["incident_id"] = incident.pk if incident else None
        data["product_id"] = self.cleaned_data.get("product_id")
        data["handler_id"] = handler.pk if handler else None
        return data

    @classmethod
    def for_change(cls, complaint: Complaint, data: Any = None) -> ComplaintForm:
        initial = {
            "channel": complaint.channel,
            "category": complaint.category,
            "severity": complaint.severity,
            "description": complaint.description,
            "order_id": complaint.order_id,
            "product_id": complaint.product_id,
            "incident": complaint.incident_id,
            "handler": complaint.handler_id,
        }
        return cls(data, initial=initial, customer=complaint.customer, complaint=complaint)


class TransitionForm(StyledForm):
    """One workflow move, with the version the user saw."""

    status = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)
    version = forms.IntegerField(min_value=1, max_value=2**31, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("备注"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    feedback = forms.CharField(
        label=_("给客户的反馈"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    customer_response = forms.CharField(
        label=_("客户的回应"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    close_reason = forms.CharField(label=_("关闭原因"), required=False, max_length=500)


class IncidentForm(StyledForm):
    title = forms.CharField(label=_("标题"), max_length=200)
    cause = forms.CharField(label=_("原因"), max_length=200, required=False)
    description = forms.CharField(
        label=_("说明"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class IncidentStatusForm(StyledForm):
    status = forms.ChoiceField(label=_("状态"), choices=IncidentStatus.choices)
    version = forms.IntegerField(min_value=1, max_value=2**31, widget=forms.HiddenInput)


class IncidentUpdateForm(StyledForm):
    channel = forms.ChoiceField(label=_("渠道"), choices=UpdateChannel.choices)
    subject = forms.CharField(label=_("主题（邮件）"), max_length=200, required=False)
    body = forms.CharField(
        label=_("通报内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
