from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.dates import BusinessDateTimeField
from kehu.customers.models import Customer
from kehu.interactions.models import Interaction


class InteractionForm(forms.ModelForm):
    """Two clicks from the customer page: the kind is preselected, the time is now."""

    contact = forms.ChoiceField(label=_("联系人"), required=False)
    occurred_at = BusinessDateTimeField(label=_("时间"), required=False)

    class Meta:
        model = Interaction
        fields = (
            "kind",
            "direction",
            "occurred_at",
            "duration_minutes",
            "outcome",
            "notes",
            "next_step",
        )
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].required = False
        self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        contacts = [(str(c.pk), c.name) for c in customer.contacts.all()]
        contact = self.fields["contact"]
        assert isinstance(contact, forms.ChoiceField)
        contact.choices = [("", "—"), *contacts]
        if not contacts:
            del self.fields["contact"]
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )

    def service_arguments(self) -> dict[str, Any]:
        data = {
            k: v for k, v in self.cleaned_data.items() if k != "contact" and v not in (None, "")
        }
        contact = self.cleaned_data.get("contact")
        return {"data": data, "contact_id": int(contact) if contact else None}
