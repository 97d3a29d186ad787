from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kehu.core.errors import ConflictError
from kehu.core.forms import add_service_errors
from kehu.customers.models import CustomFieldDefinition, PoolPolicy, Tag
from kehu.customers.pool_policy import POLICY_FIELDS, pool_policy_check, pool_policy_update


@admin.register(CustomFieldDefinition)
class CustomFieldDefinitionAdmin(admin.ModelAdmin):
    """Admins define custom fields here; values live in Customer.custom_fields (no migration)."""

    list_display = ("label", "key", "kind", "required", "is_active", "position")
    list_editable = ("position", "is_active")
    list_filter = ("kind", "is_active")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "color")
    search_fields = ("name",)


class PoolPolicyAdminForm(forms.ModelForm):
    """The pool's rules in the Django admin: the same checks as the 公海规则 page, and the
    version read, so that an admin does not overwrite someone else's change unseen."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = PoolPolicy
        fields = list(POLICY_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk and data.get("version") != self.instance.version:
            raise ValidationError(_("公海规则已被他人修改，请刷新后再试。"))
        draft = PoolPolicy(**{name: data.get(name) for name in POLICY_FIELDS})
        try:
            pool_policy_check(draft)
        except ValidationError as error:
            add_service_errors(self, error)
        return data


@admin.register(PoolPolicy)
class PoolPolicyAdmin(admin.ModelAdmin):
    """One row (公海规则); also on its own page, /customers/pool/rules/."""

    form = PoolPolicyAdminForm
    list_display = ("__str__", "followup_days", "deal_days", "notice_days", "cap_sales", "enabled")
    readonly_fields = ("updated_at", "updated_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not PoolPolicy.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: PoolPolicy, form: Any, change: bool) -> None:
        if not change:
            obj.updated_by = request.user  # type: ignore[assignment]
            super().save_model(request, obj, form, change)
            return
        try:
            pool_policy_update(
                actor=request.user,  # type: ignore[arg-type]
                data={name: form.cleaned_data[name] for name in POLICY_FIELDS},
                version=form.cleaned_data["version"],
            )
        except ConflictError as error:  # saved by someone else since the form was checked
            messages.error(request, error.message)
