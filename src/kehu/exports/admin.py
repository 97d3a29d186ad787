from django.contrib import admin

from kehu.exports.models import ExportRecord, ExportRoleSetting


@admin.register(ExportRecord)
class ExportRecordAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("created_at", "user", "list_key", "file_format", "rows", "status", "via")
    list_filter = ("list_key", "file_format", "status", "via")
    readonly_fields = [f.name for f in ExportRecord._meta.fields]


@admin.register(ExportRoleSetting)
class ExportRoleSettingAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("role", "enabled", "updated_at", "updated_by")
