"""The customer form: presentation and parsing only; validation lives in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.accounts.selectors import users_assignable_by, users_visible_to
from kehu.core.dates import BirthdayField
from kehu.customers.access import can_reassign
from kehu.customers.models import Customer, CustomFieldDefinition, CustomFieldKind, PoolPolicy
from kehu.customers.phones import phone_normalize
from kehu.customers.pool_policy import POLICY_FIELDS
from kehu.customers.services import EDITABLE_FIELDS

WIDGETS = {
    "notes": forms.Textarea(attrs={"rows": 3}),
}


class CustomerForm(forms.ModelForm):
    phones = forms.CharField(
        label=_("电话"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("每行一个号码，第一个为主号码"),
    )
    tags = forms.CharField(label=_("标签"), required=False, help_text=_("用逗号分隔"))
    birthday = BirthdayField(label=_("生日"), required=False)
    owner = forms.ModelChoiceField(
        label=_("负责人"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("（公海）"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Only when creating: a member's code links the new customer to that member (the
    # loyalty app checks it through the ``customer_created`` event).
    referral_code = forms.CharField(label=_("推荐码"), required=False, max_length=12)

    class Meta:
        model = Customer
        fields = EDITABLE_FIELDS
        widgets = WIDGETS

    def __init__(
        self, *args: Any, actor: User, definitions: list[CustomFieldDefinition], **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.definitions = definitions
        for field in self.fields.values():
            css = (
                "form-check-input"
                if isinstance(field.widget, forms.CheckboxInput)
                else ("form-select" if isinstance(field.widget, forms.Select) else "form-control")
            )
            field.widget.attrs.setdefault("class", css)
        if can_reassign(actor):
            owner_field = self.fields["owner"]
            assert isinstance(owner_field, forms.ModelChoiceField)
            owner_field.queryset = users_assignable_by(actor)
        else:
            del self.fields["owner"]
        for definition in definitions:
            self.fields[f"custom_{definition.key}"] = _custom_field(definition)
        if self.instance.pk:
            del self.fields["referral_code"]
        if self.instance.pk and not self.is_bound:
            self.initial["phones"] = "\n".join(p.number for p in self.instance.phones.all())
            self.initial["tags"] = ", ".join(t.name for t in self.instance.tags.all())
            self.initial["version"] = self.instance.version
            if "owner" in self.fields:
                self.initial["owner"] = self.instance.owner_id
            for definition in definitions:
                value = (self.instance.custom_fields or {}).get(definition.key)
                self.initial[f"custom_{definition.key}"] = value

    def clean_phones(self) -> str:
        raw = self.cleaned_data.get("phones") or ""
        errors: list[str] = []
        for line in raw.splitlines():
            if line.strip():
                try:
                    phone_normalize(line)
                except ValidationError as exc:
                    errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return raw

    def _post_clean(self) -> None:  # the services validate the model, not the form
        pass

    @property
    def custom_field_names(self) -> list[str]:
        return [f"custom_{d.key}" for d in self.definitions]

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        arguments: dict[str, Any] = {
            "data": {name: data.get(name) for name in EDITABLE_FIELDS},
            "phones": [p for p in (data.get("phones") or "").splitlines() if p.strip()],
            "tags": [
                t for t in (data.get("tags") or "").replace("，", ",").split(",") if t.strip()
            ],
            "custom_fields": {d.key: data.get(f"custom_{d.key}") for d in self.definitions},
        }
        if "owner" in self.fields:
            arguments["owner"] = data.get("owner")
        if "referral_code" in self.fields:
            arguments["referral_code"] = data.get("referral_code") or ""
        return arguments


def _custom_field(definition: CustomFieldDefinition) -> forms.Field:
    common: dict[str, Any] = {"label": definition.label, "required": False}
    if definition.kind == CustomFieldKind.CHOICE:
        choices = [("", "—")] + [(c, c) for c in definition.choices or []]
        return forms.ChoiceField(
            choices=choices, widget=forms.Select(attrs={"class": "form-select"}), **common
        )
    widget = {"date": forms.DateInput(attrs={"type": "date", "class": "form-control"})}.get(
        definition.kind, forms.TextInput(attrs={"class": "form-control"})
    )
    return forms.CharField(widget=widget, **common)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class UserChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A user as "name · team", with the number of customers they own when annotated."""

    def label_from_instance(self, obj: Any) -> str:
        label = obj.label + (f" · {obj.team.name}" if obj.team_id else "")
        owned = getattr(obj, "customers_owned", None)
        if owned is None:
            return label
        return gettext("%(user)s（%(n)d 个客户）") % {"user": label, "n": owned}


class TransferForm(forms.Form):
    """Give one customer (or every customer of a departing user) to someone else."""

    to_user = UserChoiceField(label=_("转给"), queryset=User.objects.none())
    reason = forms.CharField(
        label=_("原因"), max_length=500, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    move_tasks = forms.BooleanField(
        label=_("未完成的回访任务一并转给新负责人"), required=False, initial=True
    )

    def __init__(self, *args: Any, actor: User, departing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = users_assignable_by(actor).filter(is_active=True).order_by("username")
        to_user = self.fields["to_user"]
        assert isinstance(to_user, forms.ModelChoiceField)
        to_user.queryset = people
        to_user.widget.attrs["class"] = "form-select"
        if departing:
            owned = Count("owned_customers", filter=Q(owned_customers__deleted_at__isnull=True))
            self.fields["from_user"] = UserChoiceField(
                label=_("原负责人"),
                queryset=users_visible_to(actor).annotate(customers_owned=owned),
                widget=forms.Select(attrs={"class": "form-select"}),
            )
            self.fields["reason"].widget.attrs["placeholder"] = _("例如：离职交接")
            self.order_fields(["from_user", "to_user", "reason", "move_tasks"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("from_user") and data.get("from_user") == data.get("to_user"):
            raise ValidationError(_("原负责人和新负责人不能相同。"))
        return data


class PoolPolicyForm(forms.ModelForm):
    """The pool's rules (admins), with the version read for optimistic locking."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    class Meta:
        model = PoolPolicy
        fields = list(POLICY_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            elif not isinstance(field.widget, forms.HiddenInput):
                field.widget.attrs.setdefault("class", "form-control")
                field.widget.attrs.setdefault("inputmode", "numeric")

    def _post_clean(self) -> None:  # the service validates (pool_policy_check)
        pass

    def data_for_service(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in POLICY_FIELDS}
