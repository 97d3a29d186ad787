"""Phases and loss reasons are edited here (系统管理): names, order, default probability."""

from django.contrib import admin

from kehu.pipeline.models import LossReason, Opportunity, Phase


@admin.register(Phase)
class PhaseAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "position", "probability", "is_active")
    list_editable = ("position", "probability", "is_active")
    ordering = ("position", "id")


@admin.register(LossReason)
class LossReasonAdmin(admin.ModelAdmin):
    list_display = ("name", "position", "is_active")
    list_editable = ("position", "is_active")
    ordering = ("position", "id")


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = ("name", "customer", "phase", "status", "amount", "owner", "updated_at")
    list_filter = ("status", "phase")
    raw_id_fields = ("customer", "owner", "order", "created_by", "updated_by", "deleted_by")
    readonly_fields = ("version",)
