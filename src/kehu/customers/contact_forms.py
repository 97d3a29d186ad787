"""The contact form: presentation and parsing only; ``kehu.customers.contacts`` validates."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Contact

CONTACT_FORM_FIELDS = ("name", "title", "phone", "email", "wechat_id", "is_primary", "notes")


class ContactForm(forms.Form):
    # Not required here: the service says what is missing together with the other errors.
    name = forms.CharField(label=_("姓名"), max_length=100, required=False)
    title = forms.CharField(label=_("职务"), max_length=100, required=False)
    # Longer than the stored E.164 form: people type spaces, dashes and +86.
    phone = forms.CharField(label=_("电话"), max_length=32, required=False)
    email = forms.CharField(label=_("邮箱"), max_length=254, required=False)
    wechat_id = forms.CharField(label=_("微信号"), max_length=64, required=False)
    is_primary = forms.BooleanField(label=_("主要联系人"), required=False)
    notes = forms.CharField(label=_("备注"), max_length=500, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, contact: Contact | None = None, **kwargs: Any):
        key = contact.pk if contact is not None else "new"
        kwargs.setdefault("auto_id", f"contact-{key}-%s")
        if contact is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {
                **{name: getattr(contact, name) for name in CONTACT_FORM_FIELDS},
                "version": contact.version,
            }
        super().__init__(*args, **kwargs)
        self.contact = contact
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "form-check-input"
            else:
                field.widget.attrs["class"] = "form-control form-control-sm"
            if name == "phone":
                field.widget.input_type = "tel"
                field.widget.attrs["inputmode"] = "tel"
            if name == "email":
                field.widget.input_type = "email"

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in CONTACT_FORM_FIELDS}
