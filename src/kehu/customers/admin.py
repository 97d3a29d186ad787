from django.contrib import admin

from kehu.customers.models import CustomFieldDefinition, Tag


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
