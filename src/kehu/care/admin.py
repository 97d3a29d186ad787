from django.contrib import admin

from kehu.care.models import CadenceRule, CareRule, Festival


@admin.register(Festival)
class FestivalAdmin(admin.ModelAdmin):
    list_display = ("name", "calendar", "month", "day", "is_new_year_eve", "active")
    list_filter = ("calendar", "active")


@admin.register(CareRule)
class CareRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "active", "create_task", "send_message")
    list_filter = ("kind", "active")
    filter_horizontal = ("festivals",)


@admin.register(CadenceRule)
class CadenceRuleAdmin(admin.ModelAdmin):
    list_display = ("tag", "days")
